/**
 * The job options, as Queue.add, flows and job schedulers take them (bullmq 6.7's names). How
 * they are checked: job-options-validation.ts; how the job hash stores them: stored-options.ts.
 */

/** `removeOnComplete` / `removeOnFail`: true = remove at once, N = keep newest N, or age/count. */
export type KeepJobs = boolean | number | { age?: number; count?: number; limit?: number };

/** The object form of removeOnComplete / removeOnFail: bullmq's `KeepJobs` (job-option-views.ts). */
export type KeepJobsLimits = { count: number } | { age: number; count?: number; limit?: number };

export interface BackoffOptions {
  /** `fixed`, `exponential`, or `custom` (computed by the worker's `settings.backoffStrategy`). */
  type: string;
  /** Milliseconds. */
  delay?: number;
  /** 0..1: the share of the delay that is randomised. */
  jitter?: number;
}

export interface ParentOptions {
  id: string;
  /** Qualified name of the parent's queue: `<prefix>:<queue>`. */
  queue: string;
}

/**
 * `opts.deduplication` (wire-format §7.2): while a job owns the id, adds with the same id are
 * dropped (or, with `replace`/`reschedule`/`keepLastIfActive`, handled as those say).
 */
export interface DeduplicationOptions {
  id: string;
  /** Throttle: the id stays taken for this many ms, whatever became of the owner. Without it,
   *  the id is taken until the owner completes, fails or is removed. */
  ttl?: number;
  /** With `ttl`: every deduplicated add starts the ttl afresh. */
  extend?: boolean;
  /** Debounce: a newer add replaces an owner that is still delayed. */
  replace?: boolean;
  /** An add arriving while the owner is active is kept (the latest one wins) and queued once the
   *  owner finishes. The id is then held until that happens: `ttl` is ignored (as in BullMQ). */
  keepLastIfActive?: boolean;
  /** A newer add moves a still-delayed owner to the newer add's due time. */
  reschedule?: boolean;
}

export interface JobsOptions {
  jobId?: string;
  /** Milliseconds before the job may run. @default 0 */
  delay?: number;
  /** 1 (highest) .. 2,097,151; 0 = none. @default 0 */
  priority?: number;
  lifo?: boolean;
  /** Total attempts, first one included. @default 0 (= 1 attempt) */
  attempts?: number;
  backoff?: number | BackoffOptions;
  removeOnComplete?: boolean | number | KeepJobsLimits;
  removeOnFail?: boolean | number | KeepJobsLimits;
  keepLogs?: number;
  /** Stack frames kept per failure. */
  stackTraceLimit?: number;
  /** Maximum size in bytes of the job's data as JSON. */
  sizeLimit?: number;
  /** Creation time in ms. @default Date.now() */
  timestamp?: number;
  parent?: ParentOptions;
  failParentOnFailure?: boolean;
  continueParentOnFailure?: boolean;
  ignoreDependencyOnFailure?: boolean;
  removeDependencyOnFailure?: boolean;
  /** Trace context carried by the job (stored as `tm`/`omc`); set by producers with telemetry. */
  telemetry?: JobTelemetryOptions;
  deduplication?: DeduplicationOptions;
  /** Set on jobs a job scheduler (repeatable job) produced: the scheduler's key. */
  repeatJobKey?: string;
  /** Set on jobs a job scheduler produced: the time of the previous iteration. */
  prevMillis?: number;
  /**
   * Set on jobs a job scheduler produced: its repeat options and iteration count, as stored.
   * (bullmq 6.7 types it on JobSchedulerJobOptions only; declaring it here keeps reading it typed.)
   */
  repeat?: { [option: string]: any };
}

/** The job option `telemetry` (stored as `tm` / `omc`). */
export interface JobTelemetryOptions {
  /** A serialised context the job continues; set by a producer with telemetry. */
  metadata?: string;
  /** The producer does not put its context into this job. @default false */
  omitContext?: boolean;
}
