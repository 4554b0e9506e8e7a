// Until the worker's files move (they import this path): the file is now job/backoff.ts.
export * from './job/backoff.js';
