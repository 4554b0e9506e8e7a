// Until the worker's files move (they import this path): the file is now job/metrics.ts.
export * from './job/metrics.js';
