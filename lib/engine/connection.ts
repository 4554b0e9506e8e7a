// Until the worker's files move (they import this path): the file is now connection/connection.ts.
export * from './connection/connection.js';
