// Until the worker's files move (they import this path): the file is now core/timing.ts.
export * from './core/timing.js';
