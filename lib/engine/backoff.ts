import type { Job } from './job.js';
import { normalizeBackoff, type BackoffOptions } from './options.js';

/**
 * A custom backoff: receives the attempts made (the failing one included), the backoff type, the
 * error and the job; returns the delay in ms, 0 to retry at once, or -1 to stop retrying.
 */
export type BackoffStrategy = (
  attemptsMade: number,
  type: string | undefined,
  err: Error,
  job: Job,
) => number | Promise<number>;

function withJitter(delay: number, jitter: number | undefined): number {
  if (!jitter) return delay;
  // uniform in [delay * (1 - jitter), delay]
  return Math.round(delay * (1 - jitter) + Math.random() * delay * jitter);
}

/**
 * The retry delay for an attempt, or undefined when the type is neither built in nor handled by a
 * custom strategy (the caller fails the job with a clear reason then).
 */
export async function backoffDelay(
  backoff: number | BackoffOptions | undefined,
  attemptsMade: number,
  err: Error,
  job: Job,
  strategy?: BackoffStrategy,
): Promise<number | undefined> {
  const b = normalizeBackoff(backoff);
  if (!b) return 0;
  const delay = b.delay ?? 0;
  if (b.type === 'fixed') return withJitter(delay, b.jitter);
  if (b.type === 'exponential') return withJitter(Math.round(2 ** (attemptsMade - 1) * delay), b.jitter);
  if (!strategy) return undefined;
  return strategy(attemptsMade, b.type, err, job);
}
