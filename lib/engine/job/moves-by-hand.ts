/**
 * An active job moved by hand, by a processor or a caller (`job.moveTo*`, `job.changePriority`...),
 * with the script arguments and failure decisions the worker's own finish path uses (wire-format
 * §7.4, §7.6, §7.11). A fetch-next's jobs are handed back: the Job gets their next scheduler
 * iterations made (job.ts), as a worker would.
 */
import type { RedisClient } from '../connection/connection.js';
import { MAX_PRIORITY } from '../core/defaults.js';
import { ConveyorScriptError, ConveyorValidationError, ErrorCode, scriptError, UnrecoverableError } from '../core/errors.js';
import { QUEUE_KEY } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { checkBoolean, checkInteger, checkOptionsObject } from '../core/validation.js';
import { planFailure, retryCall, type FailurePlan } from './failure-plan.js';
import { nextJobReply, parseFetchReply, type FetchedReply, type NextJobReply } from './fetch-reply.js';
import { encodeReturnValue, finishJobArgs, moveToActiveArgs, moveToFinishedArgs } from './finish-args.js';
import { checkFinishedState, type FinishedStatus } from './job-states.js';
import type { Job } from './job.js';
import { moveSettingsOf, type MoveSettings } from './move-settings.js';
import { runOnJob, storedJobId } from './stored-job.js';

/** A lock token argument (worker.getNextJob, job.extendLock, job.moveTo*). */
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

/** The id of the job a move is asked of (these moves name the method, not BullMQ's script). */
function storedId(job: Job, method: string): string {
  if (!job.id) throw new ConveyorValidationError(`job.${method}() needs a stored job, but this job has no id`);
  return job.id;
}

async function clientOf(job: Job): Promise<RedisClient> {
  return job.queue.client;
}

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
  await runOnJob(job, 'moveToDelayed', 'moveToDelayed', [job.queue.keys.base, id, lock, now, due, '', '', '0']);
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
  return runOnJob(job, 'moveJobFromActiveToWait', 'moveJobFromActiveToWait', [job.queue.keys.base, id, lock]);
}

/** `job.changePriority({ priority, lifo })` (wire-format §7.11). */
export async function changeJobPriority(job: Job, opts: unknown): Promise<void> {
  const id = storedId(job, 'changePriority');
  if (opts === undefined) throw new ConveyorValidationError('changePriority needs { priority, lifo? }, got undefined');
  const o = checkOptionsObject('changePriority options', opts, ['priority', 'lifo']);
  const priority = o.priority ?? 0;
  const lifo = o.lifo ?? false;
  checkInteger('priority', priority, 0, MAX_PRIORITY);
  checkBoolean('lifo', lifo);
  await runOnJob(job, 'changePriority', 'changePriority', [job.queue.keys.base, id, priority as number, lifo ? '1' : '0']);
  job.priority = priority as number;
}

/** `job.changeDelay(delay)`: a delayed job becomes due `delay` ms from now. */
export async function changeJobDelay(job: Job, delay: unknown): Promise<void> {
  const id = storedId(job, 'changeDelay');
  checkInteger('delay', delay, 0);
  await runOnJob(job, 'changeDelay', 'changeDelay', [job.queue.keys.base, id, Date.now(), delay as number], 'delayed');
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

async function fetchNextJob(job: Job, token: string, s: MoveSettings): Promise<FetchedReply> {
  const keys = job.queue.keys;
  const raw = (await runScript(
    await clientOf(job),
    'moveToActive',
    [keys.meta],
    moveToActiveArgs(keys.base, token, s, Date.now(), 1),
  )) as unknown[];
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
export async function completeByHand(
  job: Job,
  returnValue: unknown,
  token: unknown,
  fetchNext: unknown,
): Promise<FetchedReply | undefined> {
  storedId(job, 'moveToCompleted');
  checkToken('token', token);
  checkBoolean('fetchNext', fetchNext);
  const value = encodeReturnValue(job, returnValue);
  const s = moveSettingsOf(job.queue);
  const { now, reply } = await finishByHand(job, token, 'completed', value, '', fetchNext, s);
  job.returnvalue = returnValue;
  job.finishedOn = now;
  job.attemptsMade += 1;
  return reply;
}

/**
 * `job.moveToFailed(err, token, fetchNext = false)`: fails an attempt of a job processed by hand,
 * with the retries and backoff a worker would apply (its options when the job came from a worker).
 */
export async function failByHand(
  job: Job,
  err: unknown,
  token: unknown,
  fetchNext: unknown,
): Promise<{ kind: FailurePlan['kind']; reply: FetchedReply | undefined }> {
  const id = storedId(job, 'moveToFailed');
  checkToken('token', token);
  checkBoolean('fetchNext', fetchNext);
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
  return { kind: plan.kind, reply };
}

/** What `job.moveToFailed` resolves with, after a failure of `kind` whose fetch-next brought `reply`. */
export function failedReply(kind: FailurePlan['kind'], reply: FetchedReply | undefined): NextJobReply | undefined {
  // bullmq 6.7 answers a retry at once with nothing at all, and a delayed retry that fetched no
  // job with [] (rate limit or delayed jobs are not reported there, unlike after a finish)
  if (kind === 'retry') return undefined;
  if (kind === 'delay' && !reply?.jobs.length) return [];
  return nextJobReply(reply);
}

/**
 * `job.moveToWaitingChildren(token, opts)`: moves the active job to waiting-children while it has
 * pending children (or while `child` is pending) and resolves true; false when nothing is pending.
 */
export async function moveJobToWaitingChildren(job: Job, token: unknown, opts: unknown): Promise<boolean> {
  const id = storedJobId(job, 'moveToWaitingChildren');
  if (typeof token !== 'string' || token === '') {
    throw new ConveyorValidationError(`token must be the lock token the processor received (a string), got ${show(token)}`);
  }
  const o = checkOptionsObject('moveToWaitingChildren options', opts, ['child']);
  let childKey = '';
  if (o.child !== undefined) {
    const c = o.child as { id?: unknown; queue?: unknown } | null;
    if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || !c.id || typeof c.queue !== 'string' || !c.queue) {
      throw new ConveyorValidationError(
        `moveToWaitingChildren options.child must be { id: string, queue: '<prefix>:<queue>' }, got ${show(o.child)}`,
      );
    }
    childKey = `${c.queue}:${c.id}`;
  }
  try {
    return (
      (await runOnJob(job, 'moveToWaitingChildren', 'moveToWaitingChildren', [job.queue.keys.base, id, token, childKey, Date.now()])) === 0
    );
  } catch (err) {
    // as in BullMQ: a processor that lets this through fails the job without retries
    if (err instanceof ConveyorScriptError && err.code === ErrorCode.JobHasFailedChildren) throw new UnrecoverableError(err.message);
    throw err;
  }
}

/** `job.retry(state, opts)`: a completed or failed job runs again (to the back of the line). */
export async function retryFinishedJob(job: Job, state: unknown, opts: unknown): Promise<void> {
  const id = storedJobId(job, 'reprocessJob');
  checkFinishedState('state', state);
  const o = checkOptionsObject('retry options', opts, ['resetAttemptsMade', 'resetAttemptsStarted']);
  const resetMade = o.resetAttemptsMade ?? false;
  const resetStarted = o.resetAttemptsStarted ?? false;
  checkBoolean('resetAttemptsMade', resetMade);
  checkBoolean('resetAttemptsStarted', resetStarted);
  const args = [job.queue.keys.base, id, QUEUE_KEY[state as FinishedStatus], resetMade ? 1 : 0, resetStarted ? 1 : 0];
  await runOnJob(job, 'reprocessJob', 'reprocessJob', args, state);
  // null, as bullmq 6.7 leaves them on the job object (its declared types do not say null either;
  // a job read back from Redis has them undefined, returnvalue null)
  const cleared = job as unknown as Record<'finishedOn' | 'processedOn' | 'failedReason' | 'returnvalue', null>;
  cleared.finishedOn = cleared.processedOn = cleared.failedReason = cleared.returnvalue = null;
  if (resetMade) job.attemptsMade = 0;
  if (resetStarted) job.attemptsStarted = 0;
}
