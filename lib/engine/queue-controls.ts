// Until the worker's files move (they import this path): the file is now queue/controls.ts.
export * from './queue/controls.js';
