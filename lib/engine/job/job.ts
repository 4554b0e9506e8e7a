import type { RedisClient } from '../connection/connection.js';
import { jobSubKey, parseJobKey, QUEUE_KEY, type QueueKeys } from '../core/keys.js';
import { ConveyorScriptError, ConveyorValidationError, ErrorCode, scriptError, UnrecoverableError } from '../core/errors.js';
import { checkBoolean, checkInteger, checkOptionsObject } from '../core/validation.js';
import { decodeStoredOptions } from '../core/stored-options.js';
import { serializeData } from '../core/job-options-validation.js';
import { show } from '../core/show.js';
import type { JobsOptions } from '../core/job-options.js';
import { addThroughQueue, type NewJob } from './add-jobs.js';
import { checkFinishedState, removeJobById, type FinishedStatus, type RemoveOptions } from '../queue/admin.js';
import { runScript } from '../core/scripts.js';
import {
  changeJobDelay,
  changeJobPriority,
  completeByHand,
  extendJobLock,
  failByHand,
  hashFromJobData,
  moveJobToDelayed,
  moveJobToWait,
  type JobJsonRaw,
  type NextJobReply,
} from './job-moves.js';
import type { JobJson, JobJsonSandbox, JobProgress, MinimalJob } from './job-shapes.js';
import type { QueueEvents } from '../events/queue-events.js';
import { waitUntilFinished, type WaitUntilFinishedOptions } from './wait-until-finished.js';
import {
  countDependencies,
  readChildrenValues,
  readDependencies,
  readIgnoredFailures,
  removeUnprocessedChildren,
  type Dependencies,
  type DependenciesCount,
  type DependenciesCountOpts,
  type DependenciesOpts,
} from './dependencies.js';

/** What a Job needs from its Queue or Worker. */
export interface JobHost {
  readonly name: string;
  readonly keys: QueueKeys;
  readonly client: Promise<RedisClient>;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

export type JobState =
  | 'completed'
  | 'failed'
  | 'delayed'
  | 'active'
  | 'waiting'
  | 'waiting-children'
  | 'prioritized'
  | 'unknown';

export interface ParentReference {
  id: string;
  queueKey: string;
  fpof?: boolean;
  cpof?: boolean;
  idof?: boolean;
  rdof?: boolean;
}

export type { JobProgress } from './job-shapes.js';

/** BullMQ's highest priority value (the lowest urgency); 0 is no priority. */
export const PRIORITY_LIMIT = 2_097_151;

/** The job hash as Redis stores it (wire-format §2). */
export type JobHash = Record<string, string>;

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toInt(text: string | undefined, fallback = 0): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isFinite(n) ? n : fallback;
}

export class Job<DataType = any, ReturnType = any, NameType extends string = string, ProgressType extends JobProgress = JobProgress>
  implements MinimalJob<DataType, ReturnType, NameType, ProgressType>
{
  id: string | undefined;
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  progress: ProgressType = 0 as ProgressType;
  // typed as bullmq's Job and MinimalJob type them; as there, null and undefined until the job finishes
  returnvalue: ReturnType = null as ReturnType;
  failedReason!: string;
  stacktrace: string[] = [];
  attemptsMade = 0;
  attemptsStarted = 0;
  stalledCounter = 0;
  timestamp: number;
  processedOn: number | undefined;
  finishedOn: number | undefined;
  delay = 0;
  priority = 0;
  processedBy: string | undefined;
  parentKey: string | undefined;
  parent: ParentReference | undefined;
  repeatJobKey: string | undefined;
  deduplicationId: string | undefined;
  /** A deferred failure set by the stalled checker or a failed child ("defa"). */
  deferredFailure: string | undefined;
  /** The lock token while a worker holds the job. */
  token: string | undefined;
  #discarded = false;

  constructor(
    readonly queue: JobHost,
    name: NameType,
    data: DataType,
    opts: JobsOptions = {},
    id?: string,
  ) {
    this.name = name;
    this.data = data;
    this.opts = opts;
    this.id = id ?? opts.jobId;
    this.timestamp = opts.timestamp ?? Date.now();
    this.delay = opts.delay ?? 0;
    this.priority = opts.priority ?? 0;
    this.deduplicationId = opts.deduplication?.id;
  }

  get queueName(): string {
    return this.queue.name;
  }

  /** `<prefix>:<queue>`, as flows store it. */
  get queueQualifiedName(): string {
    return this.queue.keys.qualifiedName;
  }

  get prefix(): string {
    return this.queue.keys.prefix;
  }

  /** The job's Redis key. */
  get key(): string {
    return this.queue.keys.job(this.id ?? '');
  }

  /**
   * Adds a job through the queue's add path, as `queue.add` does but without the queue's
   * defaultJobOptions, its trace span or its `waiting` event (BullMQ's Job.create).
   */
  static async create<T = any, R = any, N extends string = string>(queue: JobHost, name: N, data: T, opts?: JobsOptions): Promise<Job<T, R, N>> {
    const [job] = await addThroughQueue<T, R, N>(queue, [{ name, data, opts }]);
    return job;
  }

  /** Adds several jobs atomically (all or none), as Job.create adds one. */
  static async createBulk<T = any, R = any, N extends string = string>(queue: JobHost, jobs: NewJob<T, N>[]): Promise<Job<T, R, N>[]> {
    if (!Array.isArray(jobs)) throw new ConveyorValidationError(`Job.createBulk takes an array of { name, data, opts }, got ${show(jobs)}`);
    if (jobs.length === 0) return [];
    return addThroughQueue<T, R, N>(queue, jobs);
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
    if (typeof jobId !== 'string' || jobId === '') throw new ConveyorValidationError(`jobId must be a non-empty string, got ${show(jobId)}`);
    const client = await queue.client;
    // as in BullMQ: the line as text; a keepLogs that is not a positive number keeps every line
    const reply = Number(await runScript(client, 'addLog', [queue.keys.job(jobId)], [String(logRow), finiteOrEmpty(keepLogs)]));
    if (reply < 0) throw scriptError(reply, jobId, 'addLog');
    return reply;
  }

  /** Builds a Job from its stored hash (from HGETALL or a script's flat array). */
  static fromHash<T = any, R = any, N extends string = string, P extends JobProgress = JobProgress>(
    queue: JobHost,
    hash: JobHash | string[],
    id: string,
  ): Job<T, R, N, P> {
    const h = Array.isArray(hash) ? flatToHash(hash) : hash;
    const job = new Job<T, R, N, P>(queue, (h.name ?? '') as N, parseJson(h.data, {} as T), decodeStoredOptions(h.opts), id);
    job.timestamp = toInt(h.timestamp);
    job.delay = toInt(h.delay);
    job.priority = toInt(h.priority);
    // BullMQ reads a stored null as 0; text that is not JSON (other clients) reads as 0 too
    job.progress = parseJson<P | null>(h.progress, null) ?? (0 as P);
    job.returnvalue = (h.returnvalue === undefined ? null : parseJson(h.returnvalue, null)) as R;
    job.failedReason = h.failedReason;
    job.stacktrace = parseJson(h.stacktrace, [] as string[]) ?? [];
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

  /** The parent as `{ id, queueKey }`, from the `parent` field or else the `parentKey`. */
  get parentReference(): { id: string; queueKey: string } | undefined {
    if (this.parent) return { id: this.parent.id, queueKey: this.parent.queueKey };
    if (!this.parentKey) return undefined;
    const { queueKey, jobId } = parseJobKey(this.parentKey);
    return { id: jobId, queueKey };
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

  async isCompleted(): Promise<boolean> { return (await this.getState()) === 'completed'; }
  async isFailed(): Promise<boolean> { return (await this.getState()) === 'failed'; }
  async isDelayed(): Promise<boolean> { return (await this.getState()) === 'delayed'; }
  async isActive(): Promise<boolean> { return (await this.getState()) === 'active'; }
  async isWaiting(): Promise<boolean> { return (await this.getState()) === 'waiting'; }
  async isWaitingChildren(): Promise<boolean> { return (await this.getState()) === 'waiting-children'; }

  /**
   * The id, or BullMQ's error for a job that was never stored (it names the script `command` runs;
   * nothing is sent to Redis).
   */
  private storedId(command: string): string {
    if (!this.id) throw new ConveyorValidationError(`Missing key for job undefined. ${command} (the job was never added, so it has no id)`);
    return this.id;
  }

  /** Runs a script on this job's key; negative codes become errors through scriptError. */
  private async runOnJob(script: string, command: string, args: (string | number)[], state?: string): Promise<number> {
    const client = await this.queue.client;
    const reply = Number(await runScript(client, script, [this.key], args));
    if (reply < 0) throw scriptError(reply, this.id, command, state);
    return reply;
  }

  /**
   * Stores the progress (a number, string, boolean or object: anything JSON holds), emits
   * `progress` on the queue and to QueueEvents.
   */
  async updateProgress(progress: ProgressType): Promise<void> {
    await storeJobProgress(this.queue, this.storedId('updateProgress'), progress);
    this.progress = progress;
    this.queue.emit('progress', this, progress);
  }

  /** Appends a log line; resolves with the number of lines kept (the job's keepLogs applies). */
  async log(logRow: string): Promise<number> {
    this.storedId('addLog');
    // BullMQ stores anything as its text
    return this.runOnJob('addLog', 'addLog', [String(logRow)]);
  }

  /** Deletes the job's log lines, or keeps the newest `keepLogs` of them. */
  async clearLogs(keepLogs?: number): Promise<void> {
    this.storedId('clearLogs');
    // as in BullMQ, a negative count trims from the oldest end (LTRIM's own reading of it)
    if (keepLogs !== undefined) checkInteger('keepLogs', keepLogs, Number.MIN_SAFE_INTEGER);
    const client = await this.queue.client;
    const logsKey = jobSubKey(this.key, 'logs');
    if (keepLogs) await client.ltrim(logsKey, -keepLogs, -1);
    else await client.del(logsKey);
  }

  /** Replaces the job's data. */
  async updateData(data: DataType): Promise<void> {
    const id = this.storedId('updateData');
    // BullMQ does not hold new data to the job's sizeLimit
    const json = serializeData(data, this.name);
    await this.runOnJob('updateData', 'updateData', [json]);
    this.data = data;
  }

  /** Removes the job (and by default its children); rejects when a worker holds it. */
  async remove({ removeChildren = true }: RemoveOptions = {}): Promise<void> {
    const id = this.storedId('remove');
    const removed = await removeJobById(await this.queue.client, this.queue.keys, id, { removeChildren });
    if (removed === 0) throw new Error(`Job ${id} could not be removed because it is locked by another worker`);
    this.queue.emit('removed', this);
  }

  /** Runs a completed or failed job again (to the back of the line). */
  async retry(state: FinishedStatus = 'failed', opts: { resetAttemptsMade?: boolean; resetAttemptsStarted?: boolean } = {}): Promise<void> {
    const id = this.storedId('reprocessJob');
    checkFinishedState('state', state);
    const o = checkOptionsObject('retry options', opts, ['resetAttemptsMade', 'resetAttemptsStarted']);
    const resetMade = o.resetAttemptsMade ?? false;
    const resetStarted = o.resetAttemptsStarted ?? false;
    checkBoolean('resetAttemptsMade', resetMade);
    checkBoolean('resetAttemptsStarted', resetStarted);
    await this.runOnJob('reprocessJob', 'reprocessJob', [this.queue.keys.base, id, QUEUE_KEY[state], resetMade ? 1 : 0, resetStarted ? 1 : 0], state);
    // null, as bullmq 6.7 leaves them on the job object (its declared types do not say null either;
    // a job read back from Redis has them undefined, returnvalue null)
    const cleared = this as unknown as Record<'finishedOn' | 'processedOn' | 'failedReason' | 'returnvalue', null>;
    cleared.finishedOn = cleared.processedOn = cleared.failedReason = cleared.returnvalue = null;
    if (resetMade) this.attemptsMade = 0;
    if (resetStarted) this.attemptsStarted = 0;
  }

  /**
   * Frees the job's deduplication id, if the job still owns it (a newer owner keeps it); resolves
   * with whether a key was deleted.
   */
  async removeDeduplicationKey(): Promise<boolean> {
    const id = this.storedId('removeDeduplicationKey');
    if (!this.deduplicationId) return false;
    const client = await this.queue.client;
    const dedupKey = this.queue.keys.family('dedup', this.deduplicationId);
    return Number(await runScript(client, 'removeDeduplicationKey', [dedupKey], [id])) === 1;
  }

  /** Makes a delayed job ready now. */
  async promote(): Promise<void> {
    const id = this.storedId('promote');
    await this.runOnJob('promote', 'promote', [this.queue.keys.base, id], 'delayed');
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

  /** No more retries for this job: its next failure is final, whatever attempts remain. */
  discard(): void {
    this.#discarded = true;
  }

  /** Whether discard() was called on this job object. */
  get discarded(): boolean {
    return this.#discarded;
  }

  /**
   * Manual processing: completes the job (locked with `token`) and, with `fetchNext`, takes the
   * next job with the same token in the same call. Resolves with `[jobData, jobId, rateLimitTtl,
   * nextDelayedDue]` when the fetch found something (`Job.fromJSON(worker, jobData, jobId)` makes a
   * Job of it), else `[]`.
   */
  async moveToCompleted(returnValue: ReturnType, token: string, fetchNext = true): Promise<NextJobReply> {
    return completeByHand(this, returnValue, token, fetchNext);
  }

  /**
   * Manual processing: fails this attempt. Retries and backoff apply as a worker applies them
   * (the worker's options when the job came from one); with `fetchNext` the next job is taken as
   * with moveToCompleted, except after a retry at once, which (as in BullMQ) fetches nothing and
   * resolves with undefined.
   */
  async moveToFailed(err: Error, token: string, fetchNext = false): Promise<NextJobReply | void> {
    return failByHand(this, err, token, fetchNext);
  }

  /** Return values of the completed children, by child key (`<prefix>:<queue>:<id>`). */
  async getChildrenValues<ChildReturn = any>(): Promise<Record<string, ChildReturn>> {
    this.storedId('getChildrenValues');
    return (await readChildrenValues(await this.queue.client, this.key)) as Record<string, ChildReturn>;
  }

  /** Reasons of the children failures this job ignores (ignoreDependencyOnFailure, continueParentOnFailure). */
  async getIgnoredChildrenFailures(): Promise<Record<string, string>> {
    this.storedId('getIgnoredChildrenFailures');
    return readIgnoredFailures(await this.queue.client, this.key);
  }

  /** The same as getIgnoredChildrenFailures (BullMQ has both names). */
  async getFailedChildrenValues(): Promise<Record<string, string>> {
    this.storedId('getFailedChildrenValues');
    return readIgnoredFailures(await this.queue.client, this.key);
  }

  /** All children by kind, or one page (cursor, count) of each kind named in `opts`. */
  async getDependencies(opts?: DependenciesOpts): Promise<Dependencies> {
    this.storedId('getDependencies');
    return readDependencies(await this.queue.client, this.key, opts);
  }

  /** How many children of each kind (all four, or those set to true). */
  async getDependenciesCount(opts?: DependenciesCountOpts): Promise<DependenciesCount> {
    this.storedId('getDependenciesCount');
    return countDependencies(await this.queue.client, this.key, opts);
  }

  /**
   * From a processor: moves this active job to waiting-children while it has pending children (or
   * while `child` is pending) and resolves true; the processor must then throw WaitingChildrenError.
   * Resolves false when nothing is pending (the job stays active). Rejects with an
   * UnrecoverableError when a child failed with failParentOnFailure.
   */
  async moveToWaitingChildren(token: string, opts: { child?: { id: string; queue: string } } = {}): Promise<boolean> {
    const id = this.storedId('moveToWaitingChildren');
    if (typeof token !== 'string' || token === '') {
      throw new ConveyorValidationError(`token must be the lock token the processor received (a string), got ${show(token)}`);
    }
    const o = checkOptionsObject('moveToWaitingChildren options', opts, ['child']);
    let childKey = '';
    if (o.child !== undefined) {
      const c = o.child as { id?: unknown; queue?: unknown } | null;
      if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || !c.id || typeof c.queue !== 'string' || !c.queue) {
        throw new ConveyorValidationError(`moveToWaitingChildren options.child must be { id: string, queue: '<prefix>:<queue>' }, got ${show(o.child)}`);
      }
      childKey = `${c.queue}:${c.id}`;
    }
    try {
      return (await this.runOnJob('moveToWaitingChildren', 'moveToWaitingChildren', [this.queue.keys.base, id, token, childKey, Date.now()])) === 0;
    } catch (err) {
      // as in BullMQ: a processor that lets this through fails the job without retries
      if (err instanceof ConveyorScriptError && err.code === ErrorCode.JobHasFailedChildren) throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /** Detaches this pending child from its parent; false when it was not a pending dependency. */
  async removeChildDependency(): Promise<boolean> {
    this.storedId('removeChildDependency');
    const client = await this.queue.client;
    const reply = Number(await runScript(client, 'removeChildDependency', [this.key], [Date.now()]));
    // BullMQ names the parent key (the text says "undefined" for a job without a parent)
    if (reply < 0) throw scriptError(reply, this.id, 'removeChildDependency', undefined, String(this.parentKey));
    const detached = reply === 0;
    if (detached) {
      this.parentKey = undefined;
      this.parent = undefined;
    }
    return detached;
  }

  /**
   * The job as BullMQ's `asJSON` gives it: data, failedReason, stacktrace and returnvalue as JSON
   * text, fields without a value left out.
   */
  asJSON(): JobJson {
    return withoutUndefined<JobJson>({
      id: this.id,
      name: this.name,
      data: JSON.stringify(this.data ?? {}),
      opts: this.opts,
      parent: this.parent ? { ...this.parent } : undefined,
      parentKey: this.parentKey,
      progress: this.progress,
      attemptsMade: this.attemptsMade,
      attemptsStarted: this.attemptsStarted,
      stalledCounter: this.stalledCounter,
      finishedOn: this.finishedOn,
      processedOn: this.processedOn,
      timestamp: this.timestamp,
      failedReason: JSON.stringify(this.failedReason),
      stacktrace: JSON.stringify(this.stacktrace),
      repeatJobKey: this.repeatJobKey,
      deduplicationId: this.deduplicationId,
      returnvalue: JSON.stringify(this.returnvalue),
      processedBy: this.processedBy,
      deferredFailure: this.deferredFailure,
    });
  }

  /** asJSON with the queue's name, qualified name and prefix (what a sandboxed processor gets). */
  asJSONSandbox(): JobJsonSandbox {
    return { ...this.asJSON(), queueName: this.queueName, queueQualifiedName: this.queueQualifiedName, prefix: this.prefix };
  }

  /** The job's own fields (the queue left out, so JSON.stringify(job) works), as BullMQ's toJSON. */
  toJSON(): Record<string, unknown> {
    const { queue: _queue, ...rest } = this as Record<string, unknown>;
    return { ...rest, queueQualifiedName: this.queueQualifiedName };
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
    const id = this.storedId('removeUnprocessedChildren');
    await removeUnprocessedChildren(await this.queue.client, this.key, this.queue.keys.base, id);
  }
}

/**
 * Stores a job's progress by id and tells QueueEvents listeners (job.updateProgress; also what a
 * Queue.updateJobProgress needs). Rejects with BullMQ's text when the job does not exist.
 */
export async function storeJobProgress(host: JobHost, jobId: string, progress: JobProgress): Promise<void> {
  let json: string | undefined;
  try {
    json = JSON.stringify(progress);
  } catch (err) {
    throw new ConveyorValidationError(`progress cannot be serialized to JSON: ${(err as Error).message}`);
  }
  // BullMQ stores "" for these, which its own QueueEvents then fails to parse
  if (json === undefined) throw new ConveyorValidationError(`progress must be a number, string, boolean or object, got ${show(progress)}`);
  const client = await host.client;
  const reply = Number(await runScript(client, 'updateProgress', [host.keys.job(jobId)], [host.keys.base, jobId, json]));
  if (reply < 0) throw scriptError(reply, jobId, 'updateProgress');
}

function finiteOrEmpty(value: unknown): number | '' {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : '';
}

/** `fields` with its undefined entries removed: the shape `T` describes, whose optional fields stay out. */
function withoutUndefined<T>(fields: Record<string, unknown>): T {
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields as T;
}

export function flatToHash(flat: string[]): JobHash {
  const hash: JobHash = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return hash;
}
