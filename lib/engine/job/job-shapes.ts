/**
 * The job shapes bullmq 6.7 exports, by its names: what code written for bullmq annotates with
 * (a custom backoff's `job: MinimalJob`, a stored job read as `JobJson`...).
 */
import type { JobsOptions, ParentOptions } from '../core/job-options.js';

/** What `updateProgress` takes and `job.progress` holds: anything JSON can store. */
export type JobProgress = string | boolean | number | object;

/** Which of a finished job's fields holds its outcome. */
export type FinishedPropValAttribute = 'returnvalue' | 'failedReason';

/** Options of one job in `addBulk`: the same as `add`'s. */
export type BulkJobOptions = JobsOptions;

/** The parent a child names in its stored `parent` field. */
export interface ParentKeys {
  id?: string;
  /** `<prefix>:<queue>` of the parent's queue. */
  queueKey: string;
  /** failParentOnFailure */
  fpof?: boolean;
  /** removeDependencyOnFailure */
  rdof?: boolean;
  /** ignoreDependencyOnFailure */
  idof?: boolean;
  /** continueParentOnFailure */
  cpof?: boolean;
}

/** A parent job to create, as a flow describes it. */
export interface Parent<T> {
  name: string;
  prefix?: string;
  queue?: string;
  data?: T;
  opts?: JobsOptions;
}

/** How a child is tied to its parent when it is added (bullmq's internal add options). */
export type ParentKeyOpts = {
  /** The new job waits for its children (`waiting-children`) instead of going to `wait`. */
  addToWaitingChildren?: boolean;
  /** A completed child only records itself; the parent is released once the whole flow is in. */
  deferParentRelease?: boolean;
  parentDependenciesKey?: string;
  parentKey?: string;
};

/** A job as stored, with its JSON fields still strings (`job.asJSON()`). */
export interface JobJson {
  id: string;
  name: string;
  data: string;
  opts: JobsOptions;
  progress: JobProgress;
  attemptsMade: number;
  attemptsStarted: number;
  finishedOn?: number;
  processedOn?: number;
  timestamp: number;
  delay?: number;
  priority?: number;
  failedReason: string;
  stacktrace?: string;
  returnvalue: string;
  parent?: ParentKeys;
  parentKey?: string;
  repeatJobKey?: string;
  debounceId?: string;
  deduplicationId?: string;
  deferredFailure?: string;
  processedBy?: string;
  stalledCounter: number;
}

/** What a sandboxed processor's child receives: the stored job and where its queue is. */
export type JobJsonSandbox = JobJson & {
  queueName: string;
  queueQualifiedName: string;
  prefix: string;
};

/** `job.moveToDelayed` options. */
export interface MoveToDelayedOpts {
  skipAttempt?: boolean;
  fieldsToUpdate?: Record<string, any>;
  fetchNext?: boolean;
}

/** `job.retry`-style moves that also write job fields. */
export interface RetryJobOpts {
  fieldsToUpdate?: Record<string, any>;
}

/** `job.moveToWaitingChildren` options: the one child to wait for, if only one. */
export interface MoveToWaitingChildrenOpts {
  child?: ParentOptions;
}

/** `job.retry(state, opts)`: which counters start again from zero. */
export interface RetryOptions {
  resetAttemptsMade?: boolean;
  resetAttemptsStarted?: boolean;
}

/**
 * The part of a job that every job object offers (a worker's Job, a sandboxed job's proxy): what
 * a custom backoff strategy receives.
 */
export interface MinimalJob<
  DataType = any,
  ReturnType = any,
  NameType extends string = string,
  ProgressType extends JobProgress = JobProgress,
> {
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  id?: string;
  progress: ProgressType;
  returnvalue: ReturnType;
  stacktrace: string[] | null;
  delay: number;
  timestamp: number;
  attemptsMade: number;
  failedReason: string;
  finishedOn?: number;
  processedOn?: number;
  /** `<prefix>:<queue>:<id>` of the parent, for a child. */
  parentKey?: string;
  parent?: ParentKeys;
  repeatJobKey?: string;
  asJSON(): JobJson;
  asJSONSandbox(): JobJsonSandbox;
  updateData(data: DataType): Promise<void>;
  updateProgress(progress: ProgressType): Promise<void>;
  log(logRow: string): Promise<number>;
  get queueName(): string;
  get prefix(): string;
  /** `<prefix>:<queue>` */
  get queueQualifiedName(): string;
}
