// Until the worker's files move (they import this path): what options.ts held is now split by
// responsibility into core/ (show, validation, defaults, job options, their checks and codec),
// connection/queue-base.ts (QueueBaseOptions) and queue/queue-options.ts (QueueOptions).
export * from './core/defaults.js';
export * from './core/job-options.js';
export * from './core/job-options-validation.js';
export * from './core/show.js';
export * from './core/stored-options.js';
export * from './core/validation.js';
export type { QueueBaseOptions } from './connection/queue-base.js';
export type { QueueOptions } from './queue/queue-options.js';
