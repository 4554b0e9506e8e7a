// The public API of nestjs-conveyor. Every name is exported explicitly.

// Engine (framework-free, BullMQ-compatible)
export { Queue } from './engine/queue.js';
export type { BulkJob } from './engine/queue.js';
export type { JobType } from './engine/queue-getters.js';
export type {
  CleanType,
  FinishedStatus,
  ObliterateOptions,
  PromoteJobsOptions,
  RemoveOptions,
  RetryJobsOptions,
} from './engine/queue-admin.js';
export { Worker, WORKER_DEFAULTS } from './engine/worker.js';
export type { Processor, WorkerOptions } from './engine/worker.js';
export { Job } from './engine/job.js';
export type { JobState, JobHost, ParentReference } from './engine/job.js';
export type { BackoffStrategy } from './engine/backoff.js';
export type {
  BackoffOptions,
  JobsOptions,
  KeepJobs,
  ParentOptions,
  QueueBaseOptions,
  QueueOptions,
} from './engine/options.js';
export type { ConnectionOptions, RedisClient } from './engine/connection.js';
export {
  ConveyorConnectionError,
  ConveyorScriptError,
  ConveyorValidationError,
  DelayedError,
  ErrorCode,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
} from './engine/errors.js';
