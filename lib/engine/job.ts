import type { RedisClient } from './connection.js';
import { parseJobKey, type QueueKeys } from './keys.js';
import { decodeStoredOptions, type JobsOptions } from './options.js';
import { runScript } from './scripts.js';

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

export class Job<DataType = any, ReturnType = any, NameType extends string = string> {
  id: string | undefined;
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  progress: number | object = 0;
  returnvalue: ReturnType | null = null;
  failedReason: string | undefined;
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

  /** Builds a Job from its stored hash (from HGETALL or a script's flat array). */
  static fromHash<T = any, R = any, N extends string = string>(queue: JobHost, hash: JobHash | string[], id: string): Job<T, R, N> {
    const h = Array.isArray(hash) ? flatToHash(hash) : hash;
    const job = new Job<T, R, N>(queue, (h.name ?? '') as N, parseJson(h.data, {} as T), decodeStoredOptions(h.opts), id);
    job.timestamp = toInt(h.timestamp);
    job.delay = toInt(h.delay);
    job.priority = toInt(h.priority);
    job.progress = parseJson(h.progress, 0);
    job.returnvalue = h.returnvalue === undefined ? null : parseJson(h.returnvalue, null);
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

  /** The fields BullMQ's `Job#asJSON` gives, with the hash's string encodings. */
  asJSON(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      data: JSON.stringify(this.data ?? {}),
      opts: this.opts,
      progress: this.progress,
      attemptsMade: this.attemptsMade,
      attemptsStarted: this.attemptsStarted,
      stalledCounter: this.stalledCounter,
      finishedOn: this.finishedOn,
      processedOn: this.processedOn,
      timestamp: this.timestamp,
      failedReason: JSON.stringify(this.failedReason),
      stacktrace: JSON.stringify(this.stacktrace),
      delay: this.delay,
      priority: this.priority,
      returnvalue: JSON.stringify(this.returnvalue),
      parentKey: this.parentKey,
      parent: this.parent,
      repeatJobKey: this.repeatJobKey,
      processedBy: this.processedBy,
    };
  }

  toJSON(): Record<string, unknown> {
    const { queue: _queue, token: _token, ...rest } = this as Record<string, unknown>;
    return rest;
  }
}

export function flatToHash(flat: string[]): JobHash {
  const hash: JobHash = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]] = flat[i + 1];
  return hash;
}
