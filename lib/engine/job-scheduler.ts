// Until the worker's files move (they import this path): the file is now scheduler/job-scheduler.ts.
export * from './scheduler/job-scheduler.js';
