// Until the worker's files move (they import this path): the file is now core/scripts.ts.
export * from './core/scripts.js';
