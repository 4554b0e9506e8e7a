// Until the worker's files move (they import this path): the file is now job/job-moves.ts.
export * from './job/job-moves.js';
