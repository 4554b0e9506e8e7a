import { WORKER_DEFAULTS } from '../core/defaults.js';
import type { KeepJobs } from '../core/job-options.js';
import type { BackoffStrategy } from './backoff.js';
import type { JobHost } from './host.js';
import { maxDataPointsArg, type MetricsOptions } from './metrics.js';

/** What moving a job needs from whoever moves it: a Worker's options, or the defaults. */
export interface MoveSettings {
  lockDuration: number;
  limiter?: { max: number; duration: number };
  /** Worker name, written to `pb` of fetched jobs ('' = none). */
  name: string;
  /** metrics.maxDataPoints (0 = no metrics). */
  maxDataPoints: number;
  removeOnComplete?: KeepJobs;
  removeOnFail?: KeepJobs;
  maxStartedAttempts?: number;
  backoffStrategy?: BackoffStrategy;
}

interface WorkerLikeOptions {
  lockDuration?: number;
  limiter?: { max: number; duration: number };
  name?: string;
  metrics?: MetricsOptions;
  removeOnComplete?: KeepJobs;
  removeOnFail?: KeepJobs;
  maxStartedAttempts?: number;
  settings?: { backoffStrategy?: BackoffStrategy };
}

/**
 * The settings of a job's host: a Worker's options when the job came from one (as BullMQ uses
 * `job.queue.opts`), else the worker defaults (a job read through a Queue).
 */
export function moveSettingsOf(host: JobHost): MoveSettings {
  const o = ((host as { opts?: unknown }).opts ?? {}) as WorkerLikeOptions;
  return {
    lockDuration: o.lockDuration ?? WORKER_DEFAULTS.lockDuration,
    limiter: o.limiter,
    name: o.name ?? '',
    maxDataPoints: maxDataPointsArg(o.metrics),
    removeOnComplete: o.removeOnComplete,
    removeOnFail: o.removeOnFail,
    maxStartedAttempts: o.maxStartedAttempts,
    backoffStrategy: o.settings?.backoffStrategy,
  };
}
