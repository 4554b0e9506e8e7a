import { MAX_PRIORITY } from '../core/defaults.js';
import { ConveyorValidationError } from '../core/errors.js';
import { serializeData } from '../core/job-options-validation.js';
import type { JobsOptions } from '../core/job-options.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { decodeStoredOptions } from '../core/stored-options.js';
import type { QueueEvents } from '../events/queue-events.js';
import { ADD_JOBS, addThroughHost, isAdder, type AddedJob, type NewJob } from './add-jobs.js';
import {
  countDependencies,
  detachFromParent,
  readChildrenValues,
  readDependencies,
  readIgnoredFailures,
  removeUnprocessedChildren,
  type Dependencies,
  type DependenciesCount,
  type DependenciesCountOpts,
  type DependenciesOpts,
} from './dependencies.js';
import { nextJobReply, type FetchedReply, type NextJobReply } from './fetch-reply.js';
import type { JobHost } from './host.js';
import { hashFromJobData, type JobJsonRaw } from './job-data.js';
import { flatToHash, newArray, newObject, parseJson, parseJsonElse, toInt, type JobHash } from './job-hash.js';
import { JobRecord } from './job-record.js';
import type { JobProgress, MinimalJob } from './job-shapes.js';
import type { FinishedStatus, JobState } from './job-states.js';
import {
  changeJobDelay,
  changeJobPriority,
  completeByHand,
  extendJobLock,
  failByHand,
  failedReply,
  moveJobToDelayed,
  moveJobToWait,
  moveJobToWaitingChildren,
  retryFinishedJob,
} from './moves-by-hand.js';
import { scheduleNextIterations } from './next-iteration.js';
import { appendJobLog, clearJobLogs, storeJobProgress } from './progress-and-logs.js';
import { removeJobById, type RemoveOptions } from './remove.js';
import { runOnJob, storedJobId } from './stored-job.js';
import { waitUntilFinished, type WaitUntilFinishedOptions } from './wait-until-finished.js';

/** BullMQ's highest priority value (the lowest urgency); 0 is no priority. */
export const PRIORITY_LIMIT = MAX_PRIORITY;

export class Job<DataType = any, ReturnType = any, NameType extends string = string, ProgressType extends JobProgress = JobProgress>
  extends JobRecord<DataType, ReturnType, NameType, ProgressType>
  implements MinimalJob<DataType, ReturnType, NameType, ProgressType>
{
  /**
   * Adds a job through the queue's add path, as `queue.add` does but without the queue's
   * defaultJobOptions, its trace span or its `waiting` event (BullMQ's Job.create).
   */
  static async create<T = any, R = any, N extends string = string>(
    queue: JobHost,
    name: N,
    data: T,
    opts?: JobsOptions,
  ): Promise<Job<T, R, N>> {
    const [job] = await createJobs<T, R, N>(queue, [{ name, data, opts }], true);
    return job;
  }

  /** Adds several jobs atomically (all or none), as Job.create adds one. */
  static async createBulk<T = any, R = any, N extends string = string>(queue: JobHost, jobs: NewJob<T, N>[]): Promise<Job<T, R, N>[]> {
    if (!Array.isArray(jobs)) throw new ConveyorValidationError(`Job.createBulk takes an array of { name, data, opts }, got ${show(jobs)}`);
    if (jobs.length === 0) return [];
    return createJobs<T, R, N>(queue, jobs);
  }

  /**
   * Job options as the hash's `opts` field stores them, with BullMQ's abbreviated keys spelled out
   * (`kl` is keepLogs, `tm`/`omc` the telemetry...). With `optsDecode`, only the keys that map
   * names are renamed.
   */
  static optsFromJSON(rawOpts?: string, optsDecode?: Record<string, string>): JobsOptions {
    if (!optsDecode) return decodeStoredOptions(rawOpts);
    const raw = parseJson<Record<string, unknown>>(rawOpts, {});
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(raw ?? {})) out[optsDecode[key] ?? key] = raw[key];
    return out as JobsOptions;
  }

  /**
   * Appends a log line to a job by id; with `keepLogs`, only the newest that many lines stay.
   * Resolves with the number of lines kept.
   */
  static async addJobLog(queue: JobHost, jobId: string, logRow: string, keepLogs?: number): Promise<number> {
    return appendJobLog(queue, jobId, logRow, keepLogs);
  }

  /** Builds a Job from its stored hash (from HGETALL or a script's flat array). */
  static fromHash<T = any, R = any, N extends string = string, P extends JobProgress = JobProgress>(
    queue: JobHost,
    hash: JobHash | string[],
    id: string,
  ): Job<T, R, N, P> {
    const h = Array.isArray(hash) ? flatToHash(hash) : hash;
    const job = new Job<T, R, N, P>(queue, (h.name ?? '') as N, parseJsonElse<T>(h.data, newObject), decodeStoredOptions(h.opts), id);
    job.timestamp = toInt(h.timestamp);
    job.delay = toInt(h.delay);
    job.priority = toInt(h.priority);
    // BullMQ reads a stored null as 0; text that is not JSON (other clients) reads as 0 too
    job.progress = parseJson<P | null>(h.progress, null) ?? (0 as P);
    job.returnvalue = (h.returnvalue === undefined ? null : parseJson(h.returnvalue, null)) as R;
    job.failedReason = h.failedReason;
    job.stacktrace = parseJsonElse<string[]>(h.stacktrace, newArray) ?? [];
    job.attemptsMade = toInt(h.atm ?? h.attemptsMade);
    job.attemptsStarted = toInt(h.ats);
    job.stalledCounter = toInt(h.stc);
    job.processedOn = h.processedOn === undefined ? undefined : toInt(h.processedOn);
    job.finishedOn = h.finishedOn === undefined ? undefined : toInt(h.finishedOn);
    job.processedBy = h.pb;
    job.parentKey = h.parentKey;
    job.parent = h.parent === undefined ? undefined : parseJson(h.parent, undefined);
    job.repeatJobKey = h.rjk;
    job.deduplicationId = h.deid;
    job.deferredFailure = h.defa;
    return job;
  }

  /** Reads a job by id; undefined when it does not exist. */
  static async fromId<T = any, R = any, N extends string = string>(queue: JobHost, jobId: string): Promise<Job<T, R, N> | undefined> {
    if (!jobId) return undefined;
    const client = await queue.client;
    const hash = await client.hgetall(queue.keys.job(jobId));
    return Object.keys(hash).length === 0 ? undefined : Job.fromHash<T, R, N>(queue, hash, jobId);
  }

  /**
   * Builds a Job from the job data `moveToCompleted`/`moveToFailed` hand over for the next job
   * (BullMQ's `Job.fromJSON(worker, jobData, jobId)`).
   */
  static fromJSON<T = any, R = any, N extends string = string>(queue: JobHost, json: JobJsonRaw, jobId?: string): Job<T, R, N> {
    const id = (json as { id?: unknown } | null)?.id;
    return Job.fromHash<T, R, N>(queue, hashFromJobData(json), (typeof id === 'string' && id) || jobId || '');
  }

  /** Re-reads the job's fields from Redis. */
  async refresh(): Promise<this> {
    const fresh = await Job.fromId(this.queue, this.id!);
    if (fresh) {
      const { queue: _q, token: _t, ...fields } = fresh;
      Object.assign(this, fields);
    }
    return this;
  }

  async getState(): Promise<JobState> {
    const client = await this.queue.client;
    return (await runScript(client, 'getState', [this.queue.keys.meta], [this.queue.keys.base, this.id!])) as JobState;
  }

  async isCompleted(): Promise<boolean> {
    return (await this.getState()) === 'completed';
  }
  async isFailed(): Promise<boolean> {
    return (await this.getState()) === 'failed';
  }
  async isDelayed(): Promise<boolean> {
    return (await this.getState()) === 'delayed';
  }
  async isActive(): Promise<boolean> {
    return (await this.getState()) === 'active';
  }
  async isWaiting(): Promise<boolean> {
    return (await this.getState()) === 'waiting';
  }
  async isWaitingChildren(): Promise<boolean> {
    return (await this.getState()) === 'waiting-children';
  }

  /**
   * Stores the progress (a number, string, boolean or object: anything JSON holds), emits
   * `progress` on the queue and to QueueEvents.
   */
  async updateProgress(progress: ProgressType): Promise<void> {
    await storeJobProgress(this.queue, storedJobId(this, 'updateProgress'), progress);
    this.progress = progress;
    this.queue.emit('progress', this, progress);
  }

  /** Appends a log line; resolves with the number of lines kept (the job's keepLogs applies). */
  async log(logRow: string): Promise<number> {
    storedJobId(this, 'addLog');
    // BullMQ stores anything as its text
    return runOnJob(this, 'addLog', 'addLog', [String(logRow)]);
  }

  /** Deletes the job's log lines, or keeps the newest `keepLogs` of them. */
  async clearLogs(keepLogs?: number): Promise<void> {
    storedJobId(this, 'clearLogs');
    await clearJobLogs(this, keepLogs);
  }

  /** Replaces the job's data. */
  async updateData(data: DataType): Promise<void> {
    storedJobId(this, 'updateData');
    // BullMQ does not hold new data to the job's sizeLimit
    const json = serializeData(data, this.name);
    await runOnJob(this, 'updateData', 'updateData', [json]);
    this.data = data;
  }

  /** Removes the job (and by default its children); rejects when a worker holds it. */
  async remove({ removeChildren = true }: RemoveOptions = {}): Promise<void> {
    const id = storedJobId(this, 'remove');
    const removed = await removeJobById(await this.queue.client, this.queue.keys, id, { removeChildren });
    if (removed === 0) throw new Error(`Job ${id} could not be removed because it is locked by another worker`);
    this.queue.emit('removed', this);
  }

  /** Runs a completed or failed job again (to the back of the line). */
  async retry(state: FinishedStatus = 'failed', opts: { resetAttemptsMade?: boolean; resetAttemptsStarted?: boolean } = {}): Promise<void> {
    await retryFinishedJob(this, state, opts);
  }

  /**
   * Frees the job's deduplication id, if the job still owns it (a newer owner keeps it); resolves
   * with whether a key was deleted.
   */
  async removeDeduplicationKey(): Promise<boolean> {
    const id = storedJobId(this, 'removeDeduplicationKey');
    if (!this.deduplicationId) return false;
    const client = await this.queue.client;
    const dedupKey = this.queue.keys.family('dedup', this.deduplicationId);
    return Number(await runScript(client, 'removeDeduplicationKey', [dedupKey], [id])) === 1;
  }

  /** Makes a delayed job ready now. */
  async promote(): Promise<void> {
    const id = storedJobId(this, 'promote');
    await runOnJob(this, 'promote', 'promote', [this.queue.keys.base, id], 'delayed');
    this.delay = 0;
  }

  /**
   * From a processor: the active job waits in delayed until `timestamp` (ms since the epoch; a
   * time already past makes it due at once) without using an attempt. The processor must then
   * throw DelayedError. `token` defaults to the one the job was fetched with.
   */
  async moveToDelayed(timestamp: number, token?: string): Promise<void> {
    return moveJobToDelayed(this, timestamp, token);
  }

  /**
   * From a processor: the active job goes back to wait at once, in front of the queue (or of its
   * priority), without using an attempt; the processor must then throw WaitingError. Resolves
   * with the rate limit's remaining ms (0 when none runs).
   */
  async moveToWait(token?: string): Promise<number> {
    return moveJobToWait(this, token);
  }

  /**
   * Gives the job another priority (0 = none .. 2,097,151). A waiting job moves at once (with
   * `lifo`, in front of the jobs of its new priority); in any other state it applies when the job
   * is next queued.
   */
  async changePriority(opts: { priority?: number; lifo?: boolean }): Promise<void> {
    return changeJobPriority(this, opts);
  }

  /** A delayed job becomes due `delay` ms from now. */
  async changeDelay(delay: number): Promise<void> {
    return changeJobDelay(this, delay);
  }

  /** Keeps the job's lock for `duration` ms more; 1 when the lock was held with `token`, else 0. */
  async extendLock(token: string, duration: number): Promise<number> {
    return extendJobLock(this, token, duration);
  }

  /**
   * Manual processing: completes the job (locked with `token`) and, with `fetchNext`, takes the
   * next job with the same token in the same call. Resolves with `[jobData, jobId, rateLimitTtl,
   * nextDelayedDue]` when the fetch found something (`Job.fromJSON(worker, jobData, jobId)` makes a
   * Job of it), else `[]`.
   */
  async moveToCompleted(returnValue: ReturnType, token: string, fetchNext = true): Promise<NextJobReply> {
    const reply = await completeByHand(this, returnValue, token, fetchNext);
    await scheduleFetched(this.queue, reply);
    return nextJobReply(reply);
  }

  /**
   * Manual processing: fails this attempt. Retries and backoff apply as a worker applies them
   * (the worker's options when the job came from one); with `fetchNext` the next job is taken as
   * with moveToCompleted, except after a retry at once, which (as in BullMQ) fetches nothing and
   * resolves with undefined.
   */
  async moveToFailed(err: Error, token: string, fetchNext = false): Promise<NextJobReply | void> {
    const { kind, reply } = await failByHand(this, err, token, fetchNext);
    await scheduleFetched(this.queue, reply);
    return failedReply(kind, reply);
  }

  /** Return values of the completed children, by child key (`<prefix>:<queue>:<id>`). */
  async getChildrenValues<ChildReturn = any>(): Promise<Record<string, ChildReturn>> {
    storedJobId(this, 'getChildrenValues');
    return (await readChildrenValues(await this.queue.client, this.key)) as Record<string, ChildReturn>;
  }

  /** Reasons of the children failures this job ignores (ignoreDependencyOnFailure, continueParentOnFailure). */
  async getIgnoredChildrenFailures(): Promise<Record<string, string>> {
    storedJobId(this, 'getIgnoredChildrenFailures');
    return readIgnoredFailures(await this.queue.client, this.key);
  }

  /** The same as getIgnoredChildrenFailures (BullMQ has both names). */
  async getFailedChildrenValues(): Promise<Record<string, string>> {
    storedJobId(this, 'getFailedChildrenValues');
    return readIgnoredFailures(await this.queue.client, this.key);
  }

  /** All children by kind, or one page (cursor, count) of each kind named in `opts`. */
  async getDependencies(opts?: DependenciesOpts): Promise<Dependencies> {
    storedJobId(this, 'getDependencies');
    return readDependencies(await this.queue.client, this.key, opts);
  }

  /** How many children of each kind (all four, or those set to true). */
  async getDependenciesCount(opts?: DependenciesCountOpts): Promise<DependenciesCount> {
    storedJobId(this, 'getDependenciesCount');
    return countDependencies(await this.queue.client, this.key, opts);
  }

  /**
   * From a processor: moves this active job to waiting-children while it has pending children (or
   * while `child` is pending) and resolves true; the processor must then throw WaitingChildrenError.
   * Resolves false when nothing is pending (the job stays active). Rejects with an
   * UnrecoverableError when a child failed with failParentOnFailure.
   */
  async moveToWaitingChildren(token: string, opts: { child?: { id: string; queue: string } } = {}): Promise<boolean> {
    return moveJobToWaitingChildren(this, token, opts);
  }

  /** Detaches this pending child from its parent; false when it was not a pending dependency. */
  async removeChildDependency(): Promise<boolean> {
    storedJobId(this, 'removeChildDependency');
    return detachFromParent(this);
  }

  /**
   * Resolves with the return value when the job completes; rejects with an Error whose message is
   * its failedReason when it fails for good, or after `ttl` ms. Finishes before the call count too;
   * a job already removed rejects as in BullMQ, unless `opts.findInEvents` (Conveyor's).
   */
  waitUntilFinished(queueEvents: QueueEvents, ttl?: number, opts?: WaitUntilFinishedOptions): Promise<ReturnType> {
    return waitUntilFinished<ReturnType>(this, queueEvents, ttl, opts);
  }

  /**
   * Removes this job's children that have not run yet (waiting, prioritized, delayed, or waiting
   * for children of their own), each with its children; completed, failed, active and locked
   * children stay. A waiting-children job left with nothing pending moves on to wait.
   */
  async removeUnprocessedChildren(): Promise<void> {
    const id = storedJobId(this, 'removeUnprocessedChildren');
    await removeUnprocessedChildren(await this.queue.client, this.key, this.queue.keys.base, id);
  }
}

/**
 * Job.create / Job.createBulk: through the Queue's add path (Job.create batched as queue.add is), or
 * (another host, a Worker say) the add path on the host's connection; the jobs belong to the host.
 */
async function createJobs<T, R, N extends string>(host: JobHost, jobs: NewJob<T, N>[], batch = false): Promise<Job<T, R, N>[]> {
  if (isAdder(host)) return (await host[ADD_JOBS](jobs, { asQueue: false, single: false, batch })) as Job<T, R, N>[];
  return (await addThroughHost(host, jobs)).map((added) => addedJob<T, R, N>(added));
}

/** The Job of a job the add path wrote (add-jobs.ts). */
export function addedJob<T = any, R = any, N extends string = string>(added: AddedJob): Job<T, R, N> {
  const job = new Job<T, R, N>(added.host, added.name as N, added.data as T, added.opts, added.id);
  job.timestamp = added.timestamp;
  if (added.repeatJobKey !== undefined) job.repeatJobKey = added.repeatJobKey;
  if (added.parent) {
    job.parentKey = added.parentKey;
    job.parent = added.parent;
  }
  return job;
}

/** The jobs a fetch-next took by hand get their scheduler's next iteration, as a worker's do (§7.12). */
async function scheduleFetched(host: JobHost, reply: FetchedReply | undefined): Promise<void> {
  if (reply)
    await scheduleNextIterations(
      host,
      reply.jobs.map((f) => Job.fromHash(host, f.hash, f.id)),
    );
}
