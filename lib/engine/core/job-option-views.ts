/**
 * bullmq 6.7's names for parts of the job options. JobsOptions (job-options.ts) is the one
 * definition; these are views of it, so the two never drift apart.
 */
import type { JobsOptions, KeepJobsLimits } from './job-options.js';

/**
 * Which finished jobs to keep: the newest `count`, or those finished less than `age` seconds ago
 * (at most `count` of them; `limit` caps how many one finish removes). Applied when a job
 * finishes, not by a timer.
 */
export type KeepJobs = KeepJobsLimits;

/** The job options a queue's `defaultJobOptions` may set. */
export type DefaultJobOptions = Pick<
  JobsOptions,
  | 'timestamp'
  | 'priority'
  | 'delay'
  | 'attempts'
  | 'backoff'
  | 'lifo'
  | 'removeOnComplete'
  | 'removeOnFail'
  | 'keepLogs'
  | 'stackTraceLimit'
  | 'sizeLimit'
>;

/** DefaultJobOptions plus the options that only make sense per job. */
export type BaseJobOptions = DefaultJobOptions & Pick<JobsOptions, 'repeatJobKey' | 'jobId' | 'parent' | 'prevMillis'>;

/** The options stored under short names in the job hash (`de`, `fpof`, `tm`...). */
export type CompressableJobOptions = Pick<
  JobsOptions,
  | 'deduplication'
  | 'failParentOnFailure'
  | 'continueParentOnFailure'
  | 'ignoreDependencyOnFailure'
  | 'removeDependencyOnFailure'
  | 'telemetry'
>;
