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
 * What moveToFinished takes per job: id, token, target, value, keep*, attempts, stacktrace, the
 * atm the finish writes (see nextAttemptsMade; '' = the script reads the job's fields) and the
 * job's ats when it was taken (its activation: a finish sent again after a lost reply knows its
 * job by it, see moveToFinished.lua).
 */
export interface FinishJobArgs {
  id: string;
  token: string;
  target: 'completed' | 'failed';
  value: string;
  keep: readonly [count: number, age: number, limit: number];
  attempts: number;
  stacktrace: string;
  nextAtm: string;
  ats: string;
}

export function finishJobArgs(
  job: Job,
  token: string,
  target: 'completed' | 'failed',
  value: string,
  keep: KeepJobs | undefined,
  stacktrace: string,
  nextAtm = '',
): FinishJobArgs {
  return {
    id: job.id!,
    token,
    target,
    value,
    keep: keepJobsArgs(keep),
    attempts: Number(job.opts.attempts ?? 0),
    stacktrace,
    nextAtm,
    ats: String(job.attemptsStarted),
  };
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
 * jobs; further jobs finished in the same call are appended with appendFurtherJob.
 */
export function moveToFinishedArgs(base: string, first: FinishJobArgs, now: number, fetch: number, s: MoveSettings): (string | number)[] {
  const { keep } = first;
  return [
    base,
    first.id,
    first.token,
    now,
    first.target,
    first.value,
    keep[0],
    keep[1],
    keep[2],
    first.attempts,
    first.stacktrace,
    fetch,
    s.lockDuration,
    s.limiter?.max ?? 0,
    s.limiter?.duration ?? 0,
    s.name,
    s.maxDataPoints,
    `${first.nextAtm}:${first.ats}`,
  ];
}

/**
 * Appends a further job of a moveToFinished call to its ARGV (the job's key is in KEYS, its id is
 * the key without the base): "=<nextAtm>:<ats>" and the value when its token, target, retention, attempts
 * and stacktrace are those of the job before it (the jobs of a batch usually share them all), else
 * "*<nextAtm>:<ats>", the value and those seven. Every argument costs the client a string or two to
 * build and Redis one to parse: two instead of ten per job.
 */
export function appendFurtherJob(args: (string | number)[], job: FinishJobArgs, previous: FinishJobArgs): void {
  if (
    job.token === previous.token &&
    job.target === previous.target &&
    job.keep[0] === previous.keep[0] &&
    job.keep[1] === previous.keep[1] &&
    job.keep[2] === previous.keep[2] &&
    job.attempts === previous.attempts &&
    job.stacktrace === previous.stacktrace
  ) {
    args.push(`=${job.nextAtm}:${job.ats}`, job.value);
    return;
  }
  const { keep } = job;
  args.push(`*${job.nextAtm}:${job.ats}`, job.value, job.token, job.target, keep[0], keep[1], keep[2], job.attempts, job.stacktrace);
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
