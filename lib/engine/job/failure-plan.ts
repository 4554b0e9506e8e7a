import { UnrecoverableError } from '../core/errors.js';
import { appendStack, describeFailure } from '../core/failure.js';
import { planRetry } from './backoff.js';
import type { Job } from './job.js';
import type { MoveSettings } from './move-settings.js';

/** What a failed attempt leads to (wire-format §7.6). */
export interface FailurePlan {
  /** What 'failed' listeners get. */
  error: Error;
  /** The stored failedReason. */
  reason: string;
  stacktrace: string[];
  /** 'delay': moveToDelayed after `delay` ms; 'retry': back to wait at once; 'fail': final. */
  kind: 'delay' | 'retry' | 'fail';
  delay: number;
}

/**
 * Decides about a failed attempt: retried (with its backoff) while attempts remain, unless the
 * error is unrecoverable or the job was discarded; a backoff that cannot be computed fails the job
 * with its own reason.
 */
export async function planFailure(job: Job, thrown: unknown, withStack: boolean, s: MoveSettings): Promise<FailurePlan> {
  const { error, reason } = describeFailure(thrown);
  const stacktrace = appendStack(job.stacktrace, withStack && thrown instanceof Error ? error.stack : undefined, job.opts.stackTraceLimit);
  const plan = await planRetry(job, error, {
    unrecoverable: thrown instanceof UnrecoverableError || job.discarded,
    maxStartedAttempts: s.maxStartedAttempts,
    strategy: s.backoffStrategy,
  });
  if (plan.retry) return { error, reason, stacktrace, kind: plan.delay > 0 ? 'delay' : 'retry', delay: plan.delay };
  if (!plan.reason) return { error, reason, stacktrace, kind: 'fail', delay: 0 };
  return { error: new Error(plan.reason, { cause: error }), reason: plan.reason, stacktrace, kind: 'fail', delay: 0 };
}

/** The retry a plan of kind 'delay' or 'retry' asks for: its script and ARGV (after KEYS = job key). */
export function retryCall(
  base: string,
  job: Job,
  token: string,
  plan: FailurePlan,
  now: number,
): { script: 'moveToDelayed' | 'retryJob'; args: (string | number)[] } {
  const stackJson = JSON.stringify(plan.stacktrace);
  if (plan.kind === 'delay') {
    return { script: 'moveToDelayed', args: [base, job.id!, token, now, now + plan.delay, plan.reason, stackJson, '1'] };
  }
  return { script: 'retryJob', args: [base, job.id!, token, now, job.opts.lifo ? 'RPUSH' : 'LPUSH', plan.reason, stackJson, '1', '0'] };
}
