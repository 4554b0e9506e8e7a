// Until the worker's files move (they import this path): the file is now core/failure.ts.
export * from './core/failure.js';
