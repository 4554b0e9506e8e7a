/**
 * Option types bullmq 6.7 exports by name, defined as views of Conveyor's own option types where
 * those exist (one definition each). Until the worker's files move: the rest now lives with its
 * part (connection/backend.ts, queue/queue-options.ts, scheduler/repeat-options.ts,
 * sandbox/sandbox-options.ts).
 */
import type { WorkerOptions } from '../worker/options.js';
export type { RedisQueueBackend } from '../connection/backend.js';

/** A worker's `limiter`: at most `max` jobs started per `duration` ms, across the queue's workers. */
export interface RateLimiterOptions {
  max: number;
  duration: number;
}

/** A worker's `settings`: its custom backoff strategy (and the repeat settings, if any). */
export type AdvancedOptions = NonNullable<WorkerOptions['settings']>;
