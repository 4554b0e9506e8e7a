// Until the worker's files move (they import this path): the file is now scheduler/repeat-options.ts.
export * from './scheduler/repeat-options.js';
