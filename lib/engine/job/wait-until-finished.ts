import type { RedisClient } from '../connection/connection.js';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import { parseEventFields, parseJsonOrRaw, QueueEvents, type EventArgs } from '../events/queue-events.js';
import type { Job } from './job.js';

/** What waitUntilFinished needs from a QueueEvents: ours, or BullMQ's (same events). */
export interface FinishNotifier {
  readonly name: string;
  readonly qualifiedName: string;
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  off(event: string | symbol, listener: (...args: any[]) => void): unknown;
  waitUntilReady?(): Promise<unknown>;
}

type Outcome = { completed: true; returnvalue: unknown } | { completed: false; failedReason: string };

/** Conveyor's own options of waitUntilFinished (BullMQ's takes queueEvents and ttl only). */
export interface WaitUntilFinishedOptions {
  /**
   * A job already gone when the call is made (removeOnComplete / removeOnFail) settles with how it
   * finished, read from the events stream. Without it, such a job rejects with BullMQ's
   * `Missing key for job <key>. isFinished`. @default false
   */
  findInEvents?: boolean;
}

/** Stream entries read per call when looking for the finish of a job that is gone. */
const SCAN_BATCH = 1_000;

/**
 * Settles when the job finishes: resolves with its return value, rejects with an Error whose
 * message is its failedReason (final failure only; retries do not count), or rejects after `ttl` ms.
 *
 * Race-free: it listens first, then (once the QueueEvents' read position is fixed) reads the job's
 * state, so a job that finished before the call still settles it; one already removed rejects, as
 * in BullMQ, unless `opts.findInEvents`.
 */
export function waitUntilFinished<R>(
  job: Job<any, R>,
  queueEvents: FinishNotifier,
  ttl?: number,
  opts: WaitUntilFinishedOptions = {},
): Promise<R> {
  const jobId = job.id;
  if (typeof jobId !== 'string' || jobId.length === 0) {
    return Promise.reject(new ConveyorValidationError(`waitUntilFinished needs a job with an id, got id ${show(jobId)}`));
  }
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)) {
    return Promise.reject(new ConveyorValidationError(`ttl must be a number of ms > 0, got ${show(ttl)}`));
  }
  if (typeof queueEvents?.on !== 'function' || typeof queueEvents.off !== 'function') {
    return Promise.reject(new ConveyorValidationError(`waitUntilFinished needs a QueueEvents, got ${show(queueEvents)}`));
  }
  if (queueEvents.qualifiedName !== job.queueQualifiedName) {
    return Promise.reject(
      new ConveyorValidationError(
        `waitUntilFinished: the QueueEvents reads "${queueEvents.qualifiedName}" but job ${jobId} is in "${job.queueQualifiedName}"`,
      ),
    );
  }
  if (typeof opts !== 'object' || opts === null || (opts.findInEvents !== undefined && typeof opts.findInEvents !== 'boolean')) {
    return Promise.reject(new ConveyorValidationError(`waitUntilFinished options must be { findInEvents?: boolean }, got ${show(opts)}`));
  }
  if (queueEvents instanceof QueueEvents && queueEvents.closed) {
    return Promise.reject(new Error(`waitUntilFinished: the QueueEvents of queue "${queueEvents.name}" is closed`));
  }

  return new Promise<R>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let unwatchClose: (() => void) | undefined;
    const completedEvent = `completed:${jobId}`;
    const failedEvent = `failed:${jobId}`;

    const finish = (outcome: Outcome) => {
      if (outcome.completed) settle(() => resolve(outcome.returnvalue as R));
      else settle(() => reject(new Error(outcome.failedReason)));
    };
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      queueEvents.off(completedEvent, onCompleted);
      queueEvents.off(failedEvent, onFailed);
      unwatchClose?.();
      action();
    };
    const onCompleted = (args: EventArgs) => finish({ completed: true, returnvalue: args.returnvalue });
    const onFailed = (args: EventArgs) => finish({ completed: false, failedReason: String(args.failedReason ?? '') });
    const onClosing = () =>
      settle(() =>
        reject(new Error(`waitUntilFinished: the QueueEvents of queue "${queueEvents.name}" closed before job ${jobId} finished`)),
      );

    queueEvents.on(completedEvent, onCompleted);
    queueEvents.on(failedEvent, onFailed);
    if (queueEvents instanceof QueueEvents) unwatchClose = queueEvents.onClosing(onClosing);
    if (ttl !== undefined) {
      timer = setTimeout(
        () =>
          settle(() =>
            reject(new Error(`Job ${jobId} did not finish within the waitUntilFinished ttl of ${ttl} ms (queue "${job.queueName}")`)),
          ),
        ttl,
      );
    }

    finishedAlready(job, jobId, queueEvents, opts.findInEvents === true).then(
      (outcome) => {
        if (outcome) finish(outcome);
      },
      (err) => settle(() => reject(err)),
    );
  });
}

/**
 * How the job finished, if it already has; undefined if it has not (its events will tell).
 * Runs after the listeners are attached and the reader's position is fixed: a finish written after
 * this read lies past that position, so the reader delivers it to the listeners.
 */
async function finishedAlready(job: Job, jobId: string, queueEvents: FinishNotifier, findInEvents: boolean): Promise<Outcome | undefined> {
  await queueEvents.waitUntilReady?.();
  const keys = job.queue.keys;
  const client = await job.queue.client;
  const replies = await client
    .multi()
    .zscore(keys.completed, jobId)
    .zscore(keys.failed, jobId)
    .exists(keys.job(jobId))
    .hmget(keys.job(jobId), 'returnvalue', 'failedReason')
    .exec();
  if (!replies) throw new Error(`waitUntilFinished: reading the state of job ${jobId} was aborted`);
  for (const [err] of replies) if (err) throw err;
  const [inCompleted, inFailed, exists, [returnvalue, failedReason]] = replies.map(([, value]) => value) as [
    string | null,
    string | null,
    number,
    (string | null)[],
  ];
  if (exists) {
    if (inCompleted !== null) return { completed: true, returnvalue: returnvalue === null ? null : parseJsonOrRaw(returnvalue) };
    if (inFailed !== null) return { completed: false, failedReason: failedReason ?? '' };
    return undefined;
  }
  // Gone: removed when it finished (removeOnComplete / removeOnFail), removed by hand, or never
  // there. BullMQ rejects then; with findInEvents its finish, if any, is still in the stream
  // (newest first: the last finish since it was added). Whatever comes after this read reaches the
  // listeners.
  const found = findInEvents ? await lastFinishInStream(client, keys.events, jobId) : undefined;
  if (found) return found;
  throw new Error(`Missing key for job ${keys.job(jobId)}. isFinished (job ${jobId} was removed or never added)`);
}

/**
 * The newest `completed` / `failed` entry of the job, unless an `added` or `removed` entry of it
 * comes first (newest first): then this incarnation of the id never finished.
 */
async function lastFinishInStream(client: RedisClient, eventsKey: string, jobId: string): Promise<Outcome | undefined> {
  let end = '+';
  for (;;) {
    const entries = await client.xrevrange(eventsKey, end, '-', 'COUNT', SCAN_BATCH);
    for (const [, fields] of entries) {
      if (!mentions(fields, jobId)) continue;
      const { event, args } = parseEventFields(fields);
      if (event === 'completed') return { completed: true, returnvalue: args.returnvalue };
      if (event === 'failed') return { completed: false, failedReason: String(args.failedReason ?? '') };
      if (event === 'added' || event === 'removed') return undefined;
    }
    if (entries.length < SCAN_BATCH) return undefined;
    end = `(${entries[entries.length - 1][0]}`;
  }
}

/** Whether an entry's jobId is `jobId`, without parsing the rest (return values can be large). */
function mentions(fields: string[], jobId: string): boolean {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === 'jobId') return fields[i + 1] === jobId;
  return false;
}
