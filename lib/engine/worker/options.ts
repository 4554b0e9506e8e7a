import type { ConnectionOptions } from '../connection/connection.js';
import type { QueueBaseOptions } from '../connection/queue-base.js';
import { WORKER_DEFAULTS } from '../core/defaults.js';
import { ConveyorValidationError } from '../core/errors.js';
import type { KeepJobs } from '../core/job-options.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import type { BackoffStrategy } from '../job/backoff.js';
import { checkMetricsOptions, type MetricsOptions } from '../job/metrics.js';
import { checkSandboxOptions, type SandboxOptions } from '../sandbox/sandbox-options.js';
import type { AdvancedRepeatOptions } from '../scheduler/repeat-options.js';
import { checkTelemetry, type Telemetry } from '../telemetry/telemetry.js';

/** The options of a Worker; `SandboxOptions` apply to a processor given as a file. */
export interface WorkerOptions<ConnectionOptionsType = ConnectionOptions> extends QueueBaseOptions<ConnectionOptionsType>, SandboxOptions {
  /** Jobs processed at once by this worker. @default 1 */
  concurrency?: number;
  /** Written to `processedBy` and the blocking connection's client name. */
  name?: string;
  /** Start processing in the constructor. @default true */
  autorun?: boolean;
  /** How long a job's lock lives without renewal, ms. @default 30000 */
  lockDuration?: number;
  /** How often all held locks are renewed (one call), ms. @default lockDuration / 2 */
  lockRenewTime?: number;
  /** How often the stalled checker runs, ms. @default 30000 */
  stalledInterval?: number;
  /** Stalls a job survives before it fails. @default 1 */
  maxStalledCount?: number;
  skipStalledCheck?: boolean;
  skipLockRenewal?: boolean;
  /** Longest idle wait for a new job, in seconds (BullMQ's unit). @default 5 */
  drainDelay?: number;
  /** At most `max` jobs started per `duration` ms, across all workers of the queue. */
  limiter?: { max: number; duration: number };
  /**
   * Longest wait, ms, while the queue is rate limited: the worker then asks Redis again, which
   * promotes the delayed jobs that came due meanwhile (the limit still holds). @default 30000
   */
  maximumRateLimitDelay?: number;
  /** Used for jobs whose own options do not say. */
  removeOnComplete?: KeepJobs;
  /** Used for jobs whose own options do not say. */
  removeOnFail?: KeepJobs;
  /**
   * BullMQ's pause before its loop runs again after an unexpected error ("internal, should not be
   * modified"). Accepted for compatibility and not used: Conveyor's loop backs off on its own
   * (fast first, capped at 2 s).
   */
  runRetryDelay?: number;
  /** Fail a job without running it once it was started more often than this. */
  maxStartedAttempts?: number;
  settings?: { backoffStrategy?: BackoffStrategy } & AdvancedRepeatOptions;
  /** Record per-minute counts of completed and failed jobs (read them with Queue#getMetrics). */
  metrics?: MetricsOptions;
  /** Trace each job's processing (a `process` span continuing the producer's trace). */
  telemetry?: Telemetry;
}

export type ResolvedWorkerOptions = WorkerOptions & typeof WORKER_DEFAULTS & { lockRenewTime: number };

export function resolveWorkerOptions(opts: WorkerOptions): ResolvedWorkerOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as WorkerOptions;
  const lockDuration = defined.lockDuration ?? WORKER_DEFAULTS.lockDuration;
  const resolved = {
    ...WORKER_DEFAULTS,
    ...defined,
    lockRenewTime: defined.lockRenewTime ?? (typeof lockDuration === 'number' ? lockDuration / 2 : lockDuration),
  } as ResolvedWorkerOptions;
  validateWorkerOptions(resolved);
  return resolved;
}

function validateWorkerOptions(o: ResolvedWorkerOptions): void {
  checkConcurrency(o.concurrency);
  checkInteger('lockDuration', o.lockDuration, 1);
  if (typeof o.lockRenewTime !== 'number' || !(o.lockRenewTime > 0)) {
    throw new ConveyorValidationError(`lockRenewTime must be a number of ms > 0, got ${show(o.lockRenewTime)}`);
  }
  // BullMQ's texts (its tests match them), then the value; fractions are accepted as BullMQ does
  checkAbove('stalledInterval', o.stalledInterval, 'must be greater than 0', false);
  checkAbove('maxStalledCount', o.maxStalledCount, 'must be greater or equal than 0', true);
  checkAbove('drainDelay', o.drainDelay, 'must be greater than 0', false);
  checkAbove('maximumRateLimitDelay', o.maximumRateLimitDelay, 'must be a number of ms >= 0', true);
  if (o.limiter !== undefined) {
    if (typeof o.limiter !== 'object' || o.limiter === null)
      throw new ConveyorValidationError(`limiter must be { max, duration }, got ${show(o.limiter)}`);
    checkInteger('limiter.max', o.limiter.max, 1);
    checkInteger('limiter.duration', o.limiter.duration, 1);
  }
  if (o.maxStartedAttempts !== undefined) checkAbove('maxStartedAttempts', o.maxStartedAttempts, 'must be greater or equal than 0', true);
  const strategy = o.settings?.backoffStrategy;
  if (strategy !== undefined && typeof strategy !== 'function') {
    throw new ConveyorValidationError(`settings.backoffStrategy must be a function, got ${show(strategy)}`);
  }
  checkMetricsOptions(o.metrics);
  checkTelemetry(o.telemetry, 'Worker');
  checkSandboxOptions(o);
}

/**
 * Concurrency: a finite number > 0, with BullMQ's text alone (its tests compare the message
 * exactly). A fraction is accepted, as BullMQ does, and means as many slots as it rounds up to.
 */
export function checkConcurrency(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new ConveyorValidationError('concurrency must be a finite number greater than 0');
  }
}

/** A number option > 0 (or >= 0 with `orEqual`), refused with BullMQ's `text` and the value. */
function checkAbove(name: string, value: unknown, text: string, orEqual: boolean): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && (orEqual ? value >= 0 : value > 0);
  if (!ok) throw new ConveyorValidationError(`${name} ${text}, got ${show(value)}`);
}

/** A worker's `limiter`: at most `max` jobs started per `duration` ms, across the queue's workers. */
export interface RateLimiterOptions {
  max: number;
  duration: number;
}

/** A worker's `settings`: its custom backoff strategy (and the repeat settings, if any). */
export type AdvancedOptions = NonNullable<WorkerOptions['settings']>;
