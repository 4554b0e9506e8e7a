import type { QueueBase } from '../connection/queue-base.js';
import { ConveyorValidationError } from '../core/errors.js';
import { QUEUE_KEY, type QueueKeySuffix } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkBoolean, checkInteger, checkOptionsObject } from '../core/validation.js';
import { checkFinishedState, type FinishedStatus } from '../job/job-states.js';

/**
 * The queue's administrative operations (wire-format §7.9, §7.11). Those that can touch many jobs
 * run in batches, one script call each, so Redis keeps serving other clients in between.
 */

/** States `clean` accepts; `waiting` is `wait`. */
export type CleanType = 'completed' | 'failed' | 'wait' | 'waiting' | 'paused' | 'active' | 'delayed' | 'prioritized' | 'waiting-children';

export interface ObliterateOptions {
  /** Also delete active jobs (their workers will fail to finish them). @default false */
  force?: boolean;
  /** Jobs deleted per script call. @default 1000 */
  count?: number;
}

export interface RetryJobsOptions {
  /** Jobs moved per script call. @default 1000 */
  count?: number;
  /** @default 'failed' */
  state?: FinishedStatus;
  /** Only jobs finished at or before this time (ms). @default Date.now() */
  timestamp?: number;
}

export interface PromoteJobsOptions {
  /** Jobs moved per script call. @default 1000 */
  count?: number;
}

/** Jobs removed per clean/drain call, and list entries examined per call. */
const CLEAN_BATCH = 1000;
const CLEAN_WINDOW = 5000;
/** Legacy `paused` ids moved to `wait` per resume call. */
const RESUME_BATCH = 7000;

/** The key (suffix) each clean type empties. */
const CLEAN_TYPES: Record<CleanType, QueueKeySuffix> = {
  completed: QUEUE_KEY.completed,
  failed: QUEUE_KEY.failed,
  wait: QUEUE_KEY.wait,
  waiting: QUEUE_KEY.wait,
  paused: QUEUE_KEY.paused,
  active: QUEUE_KEY.active,
  delayed: QUEUE_KEY.delayed,
  prioritized: QUEUE_KEY.prioritized,
  'waiting-children': QUEUE_KEY.waitingChildren,
};

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

/** An integer option with its default, checked (`min` and up). */
function integerOption(o: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const value = o[key] ?? fallback;
  checkInteger(key, value, min);
  return value as number;
}

export async function pauseQueue(queue: QueueBase): Promise<void> {
  await queue.exec('pause', [queue.keys.meta], [queue.keys.base]);
  queue.emit('paused');
}

export async function resumeQueue(queue: QueueBase): Promise<void> {
  while (Number(await queue.exec('resume', [queue.keys.meta], [queue.keys.base, RESUME_BATCH])) !== 0);
  queue.emit('resumed');
}

/** Removes all jobs that are waiting to run (and, with `delayed`, delayed ones), except scheduler iterations. */
export async function drainQueue(queue: QueueBase, delayed: unknown): Promise<void> {
  checkBoolean('delayed', delayed);
  const states: QueueKeySuffix[] = [QUEUE_KEY.wait, QUEUE_KEY.paused, QUEUE_KEY.prioritized];
  if (delayed) states.push(QUEUE_KEY.delayed);
  for (const state of states) await cleanState(queue, state, { cutoff: 0, all: true, limit: 0, events: false });
}

/** Removes jobs of one state older than `grace` ms, at most `limit` (0 = all); resolves with their ids. */
export async function cleanQueue(queue: QueueBase, grace: unknown, limit: unknown, type: unknown): Promise<string[]> {
  checkInteger('grace', grace, 0);
  checkInteger('limit', limit, 0);
  if (typeof type !== 'string' || !(type in CLEAN_TYPES)) {
    fail(
      `type must be one of ${Object.keys(CLEAN_TYPES)
        .map((t) => `'${t}'`)
        .join(', ')}; got ${show(type)}`,
    );
  }
  const ids = await cleanState(queue, CLEAN_TYPES[type as CleanType], {
    cutoff: Date.now() - (grace as number),
    all: false,
    limit: limit as number,
    events: true,
  });
  // BullMQ names the list 'wait' in the event whichever of its two names the caller used
  queue.emit('cleaned', ids, CLEAN_TYPES[type as CleanType]);
  return ids;
}

async function cleanState(
  queue: QueueBase,
  state: QueueKeySuffix,
  { cutoff, all, limit, events }: { cutoff: number; all: boolean; limit: number; events: boolean },
): Promise<string[]> {
  const removed: string[] = [];
  let offset = 0;
  for (let call = 0; ; call++) {
    const batch = limit > 0 ? Math.min(limit - removed.length, CLEAN_BATCH) : CLEAN_BATCH;
    if (batch <= 0) break;
    // "cleaned" once per clean even when nothing went, then once per batch that removed something
    const emit = !events ? 'never' : call === 0 ? 'always' : 'ifany';
    const reply = (await queue.exec(
      'cleanJobs',
      [queue.keys.meta],
      [queue.keys.base, state, cutoff, all ? 1 : 0, batch, offset, CLEAN_WINDOW, Date.now(), emit],
    )) as (string | number)[];
    offset = Number(reply[0]);
    for (let i = 2; i < reply.length; i++) removed.push(String(reply[i]));
    if (Number(reply[1]) === 1) break;
  }
  return removed;
}

/** Deletes the queue and all its jobs; refuses while jobs are active unless `force`. */
export async function obliterateQueue(queue: QueueBase, opts: unknown): Promise<void> {
  const o = checkOptionsObject('obliterate options', opts, ['force', 'count']);
  const force = o.force ?? false;
  checkBoolean('force', force);
  const count = integerOption(o, 'count', 1000, 1);
  for (;;) {
    const reply = await queue.exec('obliterate', [queue.keys.meta], [queue.keys.base, force ? 1 : 0, count, Date.now()]);
    if (reply === 'active') throw new Error('Cannot obliterate queue with active jobs');
    if (Number(reply) === 0) return;
  }
}

/** Runs the remove script: 1 removed (or absent), 0 locked; a scheduler's pending iteration throws. */

/** Moves finished jobs back to wait, in batches of `count`, until none finished at or before `timestamp` remains. */
export async function retryQueueJobs(queue: QueueBase, opts: unknown): Promise<void> {
  const o = checkOptionsObject('retryJobs options', opts, ['count', 'state', 'timestamp']);
  const count = integerOption(o, 'count', 1000, 1);
  const state = o.state ?? 'failed';
  checkFinishedState('state', state);
  const timestamp = integerOption(o, 'timestamp', Date.now(), 0);
  while (Number(await queue.exec('moveJobsToWait', [queue.keys.meta], [queue.keys.base, QUEUE_KEY[state], timestamp, count])) !== 0);
}

/** Moves every delayed job to wait, in batches of `count`. */
export async function promoteQueueJobs(queue: QueueBase, opts: unknown): Promise<void> {
  const o = checkOptionsObject('promoteJobs options', opts, ['count']);
  const count = integerOption(o, 'count', 1000, 1);
  while (Number(await queue.exec('moveJobsToWait', [queue.keys.meta], [queue.keys.base, QUEUE_KEY.delayed, 0, count])) !== 0);
}
