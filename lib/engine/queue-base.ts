// Until the worker's files move (they import this path): the file is now connection/queue-base.ts.
export * from './connection/queue-base.js';
