/**
 * The arguments of the scripts that take and finish jobs (lua/moveToActive.lua,
 * lua/moveToFinished.lua), made here once for the worker's own finish path and for a job moved by
 * hand (wire-format §7.4).
 */
import { ConveyorValidationError } from '../core/errors.js';
import { isIntegerId } from '../core/job-options-validation.js';
import type { KeepJobs } from '../core/job-options.js';
import { keepJobsArgs } from '../core/stored-options.js';
import type { Job } from './job.js';
import type { MoveSettings } from './move-settings.js';

/** moveToActive's ARGV (see lua/moveToActive.lua). */
export function moveToActiveArgs(base: string, token: string, s: MoveSettings, now: number, count: number): (string | number)[] {
  return [base, token, s.lockDuration, now, s.limiter?.max ?? 0, s.limiter?.duration ?? 0, s.name, count];
}

/**
 * The arguments moveToFinished takes per job: id, token, target, value, keep*, attempts,
 * stacktrace and the atm the finish writes (see nextAttemptsMade; '' = the script reads the job's
 * fields).
 */
export function finishJobArgs(
  job: Job,
  token: string,
  target: 'completed' | 'failed',
  value: string,
  keep: KeepJobs | undefined,
  stacktrace: string,
  nextAtm = '',
): (string | number)[] {
  const [keepCount, keepAge, keepLimit] = keepJobsArgs(keep);
  return [job.id!, token, target, value, keepCount, keepAge, keepLimit, Number(job.opts.attempts ?? 0), stacktrace, nextAtm];
}

/**
 * A job just taken from Redis that has no parent and no deduplication id, and can never get
 * either, needs nothing read when it finishes but its attempts count: moveToFinished is given the
 * count its finish writes and spares a read of the job's hash. '' for any other job.
 *
 * A deduplication id is only ever given at creation. A parent can come later: a flow (or an add
 * with opts.parent) that names an existing job's id as a child attaches it, even while it is
 * active. It names it by its custom id, and custom ids are never integers (both engines refuse
 * them), so only a job with a generated (integer) id is sure to stay without a parent.
 */
export function nextAttemptsMade(job: Job): string {
  return job.parentKey === undefined && job.parent === undefined && job.deduplicationId === undefined && isIntegerId(job.id!)
    ? String(job.attemptsMade + 1)
    : '';
}

/**
 * moveToFinished's ARGV for the first job's arguments (finishJobArgs) and a fetch-next of `fetch`
 * jobs; arguments of further jobs finished in the same call go after it.
 */
export function moveToFinishedArgs(
  base: string,
  first: (string | number)[],
  now: number,
  fetch: number,
  s: MoveSettings,
): (string | number)[] {
  const [id, token, target, value, keepCount, keepAge, keepLimit, attempts, stacktrace, nextAtm] = first;
  return [
    base,
    id,
    token,
    now,
    target,
    value,
    keepCount,
    keepAge,
    keepLimit,
    attempts,
    stacktrace,
    fetch,
    s.lockDuration,
    s.limiter?.max ?? 0,
    s.limiter?.duration ?? 0,
    s.name,
    s.maxDataPoints,
    nextAtm,
  ];
}

/** A job's return value as stored (JSON; undefined is stored as null, as BullMQ does). */
export function encodeReturnValue(job: Job, value: unknown): string {
  try {
    return JSON.stringify(value === undefined ? null : value) ?? 'null';
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConveyorValidationError(`return value of job ${job.id} cannot be stored as JSON: ${why}`);
  }
}
