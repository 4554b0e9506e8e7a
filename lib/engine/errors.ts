// Until the worker's files move (they import this path): the file is now core/errors.ts.
export * from './core/errors.js';
