import type { BackoffOptions } from '../core/job-options.js';
import { show } from '../core/show.js';
import { normalizeBackoff } from '../core/stored-options.js';
import type { MinimalJob } from './job-shapes.js';
import type { Job } from './job.js';

/**
 * A custom backoff: receives the attempts made (the failing one included), the backoff type, the
 * error and the job; returns the delay in ms, 0 (or undefined, as in BullMQ) to retry at once, or
 * -1 to stop retrying. The job is typed as bullmq types it (MinimalJob), so strategies written for
 * bullmq compile; it is the worker's Job.
 */
export type BackoffStrategy = (
  attemptsMade: number,
  type: string | undefined,
  err: Error,
  job: MinimalJob,
) => number | undefined | Promise<number | undefined>;

function withJitter(delay: number, jitter: number | undefined): number {
  if (!jitter) return delay;
  // uniform in [delay * (1 - jitter), delay]
  return Math.round(delay * (1 - jitter) + Math.random() * delay * jitter);
}

/**
 * The retry delay for an attempt, or undefined when the type is not built in and there is no
 * custom strategy (the caller fails the job with a clear reason then). A strategy's undefined
 * means 0 (at once), as in BullMQ.
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
  return (await strategy(attemptsMade, b.type, err, job)) ?? 0;
}

/** What happens after a failed attempt: a retry after `delay` ms, or the final failure. */
export type RetryPlan = { retry: true; delay: number } | { retry: false; reason?: string };

/**
 * Decides whether a failed attempt is retried (wire-format §7.6): only while attempts remain, the
 * error is recoverable and the backoff gives a delay. A backoff that cannot be computed fails the
 * job with a reason saying why, instead of retrying blindly or never.
 */
export async function planRetry(
  job: Job,
  err: Error,
  opts: { unrecoverable: boolean; maxStartedAttempts?: number; strategy?: BackoffStrategy },
): Promise<RetryPlan> {
  const attempts = Number(job.opts.attempts ?? 0);
  const attemptsMade = job.attemptsMade + 1;
  // written as BullMQ's test reads: attempts that are no number (the add path takes them) never retry
  if (opts.unrecoverable || !(attemptsMade < attempts)) return { retry: false };
  if (opts.maxStartedAttempts !== undefined && job.attemptsStarted >= opts.maxStartedAttempts) return { retry: false };
  const type = normalizeBackoff(job.opts.backoff)?.type;
  let delay: number | undefined;
  try {
    delay = await backoffDelay(job.opts.backoff, attemptsMade, err, job, opts.strategy);
  } catch (thrown) {
    const why = thrown instanceof Error ? thrown.message : show(thrown);
    return {
      retry: false,
      reason: `settings.backoffStrategy threw for backoff type ${show(type)}: ${why} (the attempt failed with: ${err.message})`,
    };
  }
  if (delay === undefined) {
    // BullMQ's worker leaves such a job in active (an 'error' event, then the stalled checker):
    // failing it with a reason that says why is kinder than running it again later
    return {
      retry: false,
      reason: `Unknown backoff type ${show(type)}: the worker has no settings.backoffStrategy (the attempt failed with: ${err.message})`,
    };
  }
  // a numeric string counts as its number, as BullMQ takes it
  if (typeof delay === 'string' && (delay as string).trim() !== '' && Number.isFinite(Number(delay))) delay = Number(delay);
  if (delay === -1) return { retry: false };
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    return {
      retry: false,
      reason: `settings.backoffStrategy returned ${show(delay)} for backoff type ${show(type)}; expected a delay in ms or -1 (the attempt failed with: ${err.message})`,
    };
  }
  return { retry: true, delay: Math.round(delay) };
}
