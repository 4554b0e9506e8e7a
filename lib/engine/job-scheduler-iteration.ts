// Until the worker's files move (they import this path): the file is now job/next-iteration.ts.
export * from './job/next-iteration.js';
