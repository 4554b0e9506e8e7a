/**
 * Moving an active job on (completed, failed, retried, delayed, back to wait) the same way for the
 * worker's own finish path and for a processor or caller that does it by hand (`job.moveTo*`):
 * the arguments of the scripts, the decision a failure leads to, and the reading of a fetch-next
 * reply are made here once (wire-format §7.4, §7.6, §7.11).
 */
import { planRetry, type BackoffStrategy } from './backoff.js';
import type { RedisClient } from './connection.js';
import {
  ConveyorValidationError,
  DelayedError,
  scriptError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
} from './errors.js';
import { appendStack, describeFailure } from './failure.js';
import { Job, type JobHost } from './job.js';
import { scheduleNextIteration } from './job-scheduler-iteration.js';
import { jobSubKey } from './keys.js';
import { maxDataPointsArg, type MetricsOptions } from './metrics.js';
import {
  checkInteger,
  decodeStoredOptions,
  encodeStoredOptions,
  isIntegerId,
  keepJobsArgs,
  MAX_PRIORITY,
  show,
  type JobsOptions,
  type KeepJobs,
} from './options.js';
import { checkBooleanArg, checkOptionsObject } from './queue-admin.js';
import { runScript } from './scripts.js';
import { WORKER_DEFAULTS } from './worker/options.js';

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

// ------------------------------------------------------------------------------ script arguments

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
export function moveToFinishedArgs(base: string, first: (string | number)[], now: number, fetch: number, s: MoveSettings): (string | number)[] {
  const [id, token, target, value, keepCount, keepAge, keepLimit, attempts, stacktrace, nextAtm] = first;
  return [
    base, id, token, now, target, value, keepCount, keepAge, keepLimit, attempts, stacktrace, fetch,
    s.lockDuration, s.limiter?.max ?? 0, s.limiter?.duration ?? 0, s.name, s.maxDataPoints, nextAtm,
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

// ------------------------------------------------------------------------------ failures

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
export function retryCall(base: string, job: Job, token: string, plan: FailurePlan, now: number): { script: 'moveToDelayed' | 'retryJob'; args: (string | number)[] } {
  const stackJson = JSON.stringify(plan.stacktrace);
  if (plan.kind === 'delay') {
    return { script: 'moveToDelayed', args: [base, job.id!, token, now, now + plan.delay, plan.reason, stackJson, '1'] };
  }
  return { script: 'retryJob', args: [base, job.id!, token, now, job.opts.lifo ? 'RPUSH' : 'LPUSH', plan.reason, stackJson, '1', '0'] };
}

// ------------------------------------------------------------------------------ fetch replies

export interface FetchedJob {
  id: string;
  /** HGETALL as a flat array. */
  hash: string[];
}

export interface FetchedReply {
  /** ms the rate limit still holds (0 = none). */
  rateLimitTtl: number;
  /** Due time of the earliest delayed job (0 = none). */
  nextDelayed: number;
  jobs: FetchedJob[];
}

/** A moveToActive reply (offset 0) or a moveToFinished one (offset 1: its status comes first). */
export function parseFetchReply(raw: unknown[], offset: number): FetchedReply {
  const jobs: FetchedJob[] = [];
  for (let i = offset + 2; i < raw.length; i += 2) jobs.push({ id: String(raw[i]), hash: raw[i + 1] as string[] });
  return { rateLimitTtl: Number(raw[offset]) || 0, nextDelayed: Number(raw[offset + 1]) || 0, jobs };
}

/**
 * A fetched job as `job.moveToCompleted`/`moveToFailed` hand it over (BullMQ's shape, observed on
 * 6.7: numbers as numbers, `opts` and `progress` decoded, `data`, `returnvalue` and `stacktrace`
 * still JSON text). `Job.fromJSON(worker, jobData, jobId)` makes a Job of it.
 */
export interface JobJsonRaw {
  name: string;
  data: string;
  opts: Record<string, unknown>;
  progress: number | object;
  delay: number;
  priority: number;
  timestamp: number;
  attemptsStarted: number;
  attemptsMade: number;
  stalledCounter: number;
  processedOn?: number;
  finishedOn?: number;
  processedBy?: string;
  failedReason?: string;
  stacktrace?: string;
  returnvalue?: string;
  parentKey?: string;
  parent?: Record<string, unknown>;
  repeatJobKey?: string;
  deduplicationId?: string;
  deferredFailure?: string;
}

/** [jobData, jobId, rateLimitTtl, nextDelayedDue] when a fetch-next found something, else []. */
export type NextJobReply = [] | [JobJsonRaw | null, string | 0, number, number];

const NUMERIC_FIELDS: Record<string, keyof JobJsonRaw> = {
  delay: 'delay',
  priority: 'priority',
  timestamp: 'timestamp',
  ats: 'attemptsStarted',
  atm: 'attemptsMade',
  stc: 'stalledCounter',
  processedOn: 'processedOn',
  finishedOn: 'finishedOn',
};
const RENAMED_FIELDS: Record<string, keyof JobJsonRaw> = {
  pb: 'processedBy',
  rjk: 'repeatJobKey',
  deid: 'deduplicationId',
  defa: 'deferredFailure',
};
const TEXT_FIELDS = new Set(['name', 'data', 'failedReason', 'stacktrace', 'returnvalue', 'parentKey']);

function parseOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function jobDataFromHash(flat: string[]): JobJsonRaw {
  const out: Record<string, unknown> = { progress: 0, delay: 0, priority: 0, attemptsStarted: 0, attemptsMade: 0, stalledCounter: 0 };
  for (let i = 0; i < flat.length; i += 2) {
    const [field, value] = [flat[i], flat[i + 1]];
    if (field in NUMERIC_FIELDS) out[NUMERIC_FIELDS[field]] = Number(value);
    else if (field in RENAMED_FIELDS) out[RENAMED_FIELDS[field]] = value;
    else if (TEXT_FIELDS.has(field)) out[field] = value;
    else if (field === 'opts') out.opts = decodeStoredOptions(value);
    else if (field === 'progress') out.progress = parseOr(value, 0);
    else if (field === 'parent') out.parent = parseOr(value, undefined);
  }
  out.opts ??= {};
  return out as unknown as JobJsonRaw;
}

/** The way back: job data as a stored hash, so Job.fromJSON reads it as Job.fromHash does. */
export function hashFromJobData(json: JobJsonRaw): Record<string, string> {
  if (typeof json !== 'object' || json === null) throw new ConveyorValidationError(`job data must be an object, got ${show(json)}`);
  const hash: Record<string, string> = {};
  const source = json as unknown as Record<string, unknown>;
  for (const [field, name] of [...Object.entries(NUMERIC_FIELDS), ...Object.entries(RENAMED_FIELDS)]) {
    if (source[name] !== undefined && source[name] !== null) hash[field] = String(source[name]);
  }
  for (const field of TEXT_FIELDS) if (typeof source[field] === 'string') hash[field] = source[field] as string;
  if (json.opts) hash.opts = encodeStoredOptions(json.opts as JobsOptions);
  if (json.progress !== undefined) hash.progress = JSON.stringify(json.progress);
  if (json.parent) hash.parent = JSON.stringify(json.parent);
  return hash;
}

/** The reply `moveToCompleted`/`moveToFailed` resolve with for what a fetch-next brought. */
export function nextJobReply(reply: FetchedReply | undefined): NextJobReply {
  if (!reply) return [];
  const [first] = reply.jobs;
  if (first) return [jobDataFromHash(first.hash), first.id, reply.rateLimitTtl, reply.nextDelayed];
  if (reply.rateLimitTtl > 0 || reply.nextDelayed > 0) return [null, 0, reply.rateLimitTtl, reply.nextDelayed];
  return [];
}

// ------------------------------------------------------------------------------ validation

export function checkToken(name: string, token: unknown): asserts token is string {
  if (typeof token !== 'string' || token === '') {
    throw new ConveyorValidationError(`${name} must be the lock token the job was fetched with (a non-empty string), got ${show(token)}`);
  }
}

/** An optional token: the one given, else the one the job was fetched with, else "0" (no lock check). */
function tokenOrOwn(job: Job, token: unknown): string {
  if (token === undefined) return job.token ?? '0';
  checkToken('token', token);
  return token;
}

function storedId(job: Job, method: string): string {
  if (!job.id) throw new ConveyorValidationError(`job.${method}() needs a stored job, but this job has no id`);
  return job.id;
}

async function clientOf(job: Job): Promise<RedisClient> {
  return job.queue.client;
}

/** Runs a script on the job's key; a negative reply becomes the wire-format error (§8). */
async function runMove(job: Job, script: string, args: (string | number)[], command: string, state?: string): Promise<number> {
  const reply = Number(await runScript(await clientOf(job), script, [job.key], args));
  if (reply < 0) throw scriptError(reply, job.id, command, state);
  return reply;
}

// ------------------------------------------------------------------------------ by hand

/**
 * `job.moveToDelayed(timestamp, token?)`: an active job waits in delayed until `timestamp` (ms);
 * no attempt is used. A time already past makes it due at once (as BullMQ).
 */
export async function moveJobToDelayed(job: Job, timestamp: unknown, token?: unknown): Promise<void> {
  const id = storedId(job, 'moveToDelayed');
  checkInteger('timestamp', timestamp, 0);
  const lock = tokenOrOwn(job, token);
  const now = Date.now();
  const due = Math.max(timestamp as number, now);
  await runMove(job, 'moveToDelayed', [job.queue.keys.base, id, lock, now, due, '', '', '0'], 'moveToDelayed');
  job.delay = due - now;
}

/**
 * `job.moveToWait(token?)`: an active job goes back to wait at once, in front of the queue (or of
 * its priority), without using an attempt. Resolves with the rate limit's remaining ms (0 = none),
 * as BullMQ does.
 */
export async function moveJobToWait(job: Job, token?: unknown): Promise<number> {
  const id = storedId(job, 'moveToWait');
  const lock = tokenOrOwn(job, token);
  return runMove(job, 'moveJobFromActiveToWait', [job.queue.keys.base, id, lock], 'moveJobFromActiveToWait');
}

/** `job.changePriority({ priority, lifo })` (wire-format §7.11). */
export async function changeJobPriority(job: Job, opts: unknown): Promise<void> {
  const id = storedId(job, 'changePriority');
  if (opts === undefined) throw new ConveyorValidationError('changePriority needs { priority, lifo? }, got undefined');
  const o = checkOptionsObject('changePriority options', opts, ['priority', 'lifo']);
  const priority = o.priority ?? 0;
  const lifo = o.lifo ?? false;
  checkInteger('priority', priority, 0, MAX_PRIORITY);
  checkBooleanArg('lifo', lifo);
  await runMove(job, 'changePriority', [job.queue.keys.base, id, priority as number, lifo ? '1' : '0'], 'changePriority');
  job.priority = priority as number;
}

/** `job.changeDelay(delay)`: a delayed job becomes due `delay` ms from now. */
export async function changeJobDelay(job: Job, delay: unknown): Promise<void> {
  const id = storedId(job, 'changeDelay');
  checkInteger('delay', delay, 0);
  await runMove(job, 'changeDelay', [job.queue.keys.base, id, Date.now(), delay as number], 'changeDelay', 'delayed');
  job.delay = delay as number;
}

/** `job.extendLock(token, duration)`: 1 when the lock was ours and now lasts `duration` ms, else 0. */
export async function extendJobLock(job: Job, token: unknown, duration: unknown): Promise<number> {
  const id = storedId(job, 'extendLock');
  checkToken('token', token);
  checkInteger('duration', duration, 1);
  const lost = await extendLocks(await clientOf(job), job.queue.keys.base, job.queue.keys.stalled, [id], [token], duration as number);
  return lost.length === 0 ? 1 : 0;
}

/** One extendLocks call for many locks; resolves with the ids whose lock was not held by its token. */
export async function extendLocks(
  client: RedisClient,
  base: string,
  stalledKey: string,
  jobIds: string[],
  tokens: string[],
  duration: number,
): Promise<string[]> {
  const args: (string | number)[] = [base, duration];
  jobIds.forEach((id, i) => args.push(id, tokens[i]));
  return (await runScript(client, 'extendLocks', [stalledKey], args)) as string[];
}

/** An error of a side step (not of the move itself), for the host's 'error' listeners if it has any. */
function reportToHost(host: JobHost, err: unknown): void {
  const emitter = host as JobHost & { listenerCount?: (event: string) => number };
  if (emitter.listenerCount?.('error')) host.emit('error', err);
}

/** Scheduler iterations taken by hand get their next iteration, as when a worker takes them (§7.12). */
export async function scheduleNextIterations(host: JobHost, jobs: Job[]): Promise<void> {
  for (const job of jobs) {
    if (job.repeatJobKey) await scheduleNextIteration(host, job, (err) => reportToHost(host, err));
  }
}

async function fetchNextJob(job: Job, token: string, s: MoveSettings): Promise<FetchedReply> {
  const keys = job.queue.keys;
  const raw = (await runScript(await clientOf(job), 'moveToActive', [keys.meta], moveToActiveArgs(keys.base, token, s, Date.now(), 1))) as unknown[];
  return parseFetchReply(raw, 0);
}

/** moveToFinished for a job moved by hand (one call, no retries: the caller sees what happened). */
async function finishByHand(
  job: Job,
  token: string,
  target: 'completed' | 'failed',
  value: string,
  stacktrace: string,
  fetchNext: boolean,
  s: MoveSettings,
): Promise<{ now: number; reply: FetchedReply | undefined }> {
  const keys = job.queue.keys;
  const keep = target === 'completed' ? (job.opts.removeOnComplete ?? s.removeOnComplete) : (job.opts.removeOnFail ?? s.removeOnFail);
  const now = Date.now();
  const args = moveToFinishedArgs(keys.base, finishJobArgs(job, token, target, value, keep, stacktrace), now, fetchNext ? 1 : 0, s);
  const raw = await runScript(await clientOf(job), 'moveToFinished', [job.key], args);
  if (typeof raw === 'number') throw scriptError(raw, job.id, 'moveToFinished');
  return { now, reply: fetchNext ? parseFetchReply(raw as unknown[], 1) : undefined };
}

/**
 * `job.moveToCompleted(returnValue, token, fetchNext = true)`: completes a job processed by hand
 * and, with fetchNext, takes the next one with the same token in the same call.
 */
export async function completeByHand(job: Job, returnValue: unknown, token: unknown, fetchNext: unknown): Promise<NextJobReply> {
  storedId(job, 'moveToCompleted');
  checkToken('token', token);
  checkBooleanArg('fetchNext', fetchNext);
  const value = encodeReturnValue(job, returnValue);
  const s = moveSettingsOf(job.queue);
  const { now, reply } = await finishByHand(job, token, 'completed', value, '', fetchNext, s);
  job.returnvalue = returnValue;
  job.finishedOn = now;
  job.attemptsMade += 1;
  if (reply) await scheduleNextIterations(job.queue, reply.jobs.map((f) => Job.fromHash(job.queue, f.hash, f.id)));
  return nextJobReply(reply);
}

/**
 * `job.moveToFailed(err, token, fetchNext = false)`: fails an attempt of a job processed by hand,
 * with the retries and backoff a worker would apply (its options when the job came from a worker).
 */
export async function failByHand(job: Job, err: unknown, token: unknown, fetchNext: unknown): Promise<NextJobReply | void> {
  const id = storedId(job, 'moveToFailed');
  checkToken('token', token);
  checkBooleanArg('fetchNext', fetchNext);
  const s = moveSettingsOf(job.queue);
  const plan = await planFailure(job, err, true, s);
  let reply: FetchedReply | undefined;
  if (plan.kind === 'fail') {
    const finished = await finishByHand(job, token, 'failed', plan.reason, JSON.stringify(plan.stacktrace), fetchNext, s);
    job.finishedOn = finished.now;
    reply = finished.reply;
  } else {
    const call = retryCall(job.queue.keys.base, job, token, plan, Date.now());
    const code = Number(await runScript(await clientOf(job), call.script, [job.key], call.args));
    if (code < 0) throw scriptError(code, id, call.script);
    // as bullmq's: a delayed retry fetches the next job, one at once does not (its caller, who
    // expects nothing back, would leave a fetched job in active until it stalls)
    if (fetchNext && plan.kind === 'delay') reply = await fetchNextJob(job, token, s);
    // as bullmq sets it: the backoff of a delayed retry, 0 for one at once
    job.delay = plan.kind === 'delay' ? plan.delay : 0;
  }
  job.attemptsMade += 1;
  job.failedReason = plan.reason;
  job.stacktrace = plan.stacktrace;
  if (reply) await scheduleNextIterations(job.queue, reply.jobs.map((f) => Job.fromHash(job.queue, f.hash, f.id)));
  // bullmq 6.7 answers a retry at once with nothing at all, and a delayed retry that fetched no
  // job with [] (rate limit or delayed jobs are not reported there, unlike after a finish)
  if (plan.kind === 'retry') return undefined;
  if (plan.kind === 'delay' && !reply?.jobs.length) return [];
  return nextJobReply(reply);
}

// ------------------------------------------------------------------------------ processor signals

/** What a processor throws after moving its job itself. */
export function isMoveSignal(thrown: unknown): thrown is DelayedError | WaitingError | WaitingChildrenError {
  return thrown instanceof DelayedError || thrown instanceof WaitingError || thrown instanceof WaitingChildrenError;
}

/**
 * Whether the job is still in active under this token and from this start: then the processor
 * threw DelayedError & co. without moving it. Comparing attemptsStarted tells a job moved and
 * taken again with the same token (a fetch-next shares its token) from one never moved.
 */
export async function isStillHeld(client: RedisClient, job: Job, token: string): Promise<boolean> {
  const keys = job.queue.keys;
  const replies = await client.multi().get(jobSubKey(job.key, 'lock')).lpos(keys.active, job.id!).hget(job.key, 'ats').exec();
  if (!replies) return false;
  const [[, lock], [, position], [, started]] = replies;
  return lock === token && position !== null && Number(started) === job.attemptsStarted;
}

/**
 * The failure of a processor that threw DelayedError & co. without moving its job: a plain
 * attempt failure (retries apply) instead of a job left locked in active until its lock expires
 * (what bullmq 6.7 does; its stalled checker then runs it again, or fails it as stalled).
 */
export function notMovedError(thrown: DelayedError | WaitingError | WaitingChildrenError, job: Job): Error {
  const how =
    thrown instanceof DelayedError
      ? 'call job.moveToDelayed(timestamp, token) before throwing DelayedError'
      : thrown instanceof WaitingError
        ? 'call job.moveToWait(token) before throwing WaitingError'
        : 'throw WaitingChildrenError only when job.moveToWaitingChildren(token) resolved true';
  const error = new Error(`The processor threw ${thrown.name} but job ${job.id} was not moved: ${how}`, { cause: thrown });
  error.name = 'JobNotMovedError';
  return error;
}
