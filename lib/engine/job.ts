// Until the worker's files move (they import this path): the file is now job/job.ts.
export * from './job/job.js';
export type { JobHost } from './job/host.js';
