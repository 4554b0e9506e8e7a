import { QueueBase, type QueueBaseOptions } from '../connection/queue-base.js';
import { ConveyorValidationError, scriptError } from '../core/errors.js';
import type { JobsOptions } from '../core/job-options.js';
import { show } from '../core/show.js';
import { decodeStoredOptions, encodeStoredOptions } from '../core/stored-options.js';
import { checkInteger } from '../core/validation.js';
import type { JobHost } from '../job/host.js';
import { flatToHash } from '../job/job-hash.js';
import { Job } from '../job/job.js';
import { getLegacyRepeatableJobError, hasLegacyRepeatableKeyShape } from '../job/legacy-repeatable.js';
import { schedulerTracing, type SchedulerTracing } from '../telemetry/scheduler.js';
import { checkTelemetry, storedMetadata, Tracing, type Telemetry } from '../telemetry/telemetry.js';
import {
  checkSchedule,
  checkSchedulerId,
  checkTemplate,
  dropUndefined,
  type AdvancedRepeatOptions,
  type JobSchedulerJson,
  type JobSchedulerTemplateOptions,
  type RepeatOptions,
  type RepeatStrategy,
} from './repeat-options.js';
import { repeatStrategyOf } from './repeat-time.js';

/**
 * Job schedulers (BullMQ 6 names and Redis layout, wire-format §7.12): a `repeat` zset entry and a
 * `repeat:<id>` hash per scheduler, and one pending iteration job `repeat:<id>:<millis>` at a time.
 * The next iteration is created when a worker takes the current one (job/next-iteration.ts).
 * Queue and Worker each hand out one JobScheduler (`queue.jobScheduler`) sharing their connection.
 */

export interface JobSchedulerOptions extends QueueBaseOptions {
  settings?: AdvancedRepeatOptions;
  /** Backoff type names, besides fixed/exponential/custom, that the templates may use (the queue's). */
  customBackoffTypes?: string[];
  /** The owner's telemetry: upserts make bullmq's `add <queue>.<name>` span (telemetry/scheduler.ts). */
  telemetry?: Telemetry;
}

export interface UpsertJobSchedulerMode {
  /** true: create or update the scheduler (Queue.upsertJobScheduler). false: its next iteration, by a worker. */
  override: boolean;
  /** The iteration a worker took (override false): only the scheduler's current one moves it on. */
  producerId?: string;
}

/** opts.repeat of an iteration job, as BullMQ and Conveyor store it. */
type StoredRepeat = RepeatOptions & { [other: string]: unknown };

export class JobScheduler extends QueueBase {
  readonly opts: JobSchedulerOptions;
  private readonly repeatStrategy: RepeatStrategy;
  /** What the jobs this scheduler returns belong to (the Queue or Worker that made it). */
  private readonly host: JobHost;
  /** Only with a `telemetry` option: without one, upserts contain no tracing code. */
  private readonly tracing: SchedulerTracing | undefined;

  constructor(name: string, opts: JobSchedulerOptions = {}, host?: JobHost) {
    checkRepeatSettings(opts.settings);
    checkTelemetry(opts.telemetry, 'JobScheduler');
    super(name, opts);
    this.opts = opts;
    this.repeatStrategy = repeatStrategyOf(opts.settings);
    // bullmq's third argument is a backend factory: only a job host (a Queue or Worker) counts
    this.host = typeof host === 'object' && host !== null && 'keys' in host ? host : this;
    this.tracing = opts.telemetry && schedulerTracing(new Tracing(opts.telemetry, name));
  }

  /**
   * With `override`, creates or updates the scheduler and resolves with its next iteration
   * (undefined, writing nothing, when there is none before endDate or the limit). Without, creates
   * the iteration after `producerId`, the one a worker took (undefined when the schedule is over or
   * that was not the scheduler's current iteration).
   */
  async upsertJobScheduler<T = any, R = any, N extends string = string>(
    jobSchedulerId: string,
    repeatOpts: Omit<RepeatOptions, 'key' | 'prevMillis'>,
    jobName: N,
    jobData: T,
    opts: JobSchedulerTemplateOptions,
    { override, producerId }: UpsertJobSchedulerMode,
  ): Promise<Job<T, R, N> | undefined> {
    return override
      ? this.upsert<T, R, N>(jobSchedulerId, repeatOpts, jobName, jobData, opts)
      : this.createNextIteration<T, R, N>(jobSchedulerId, repeatOpts as StoredRepeat, jobName, opts as JobsOptions, producerId);
  }

  private async upsert<T, R, N extends string>(
    rawId: unknown,
    repeatOpts: RepeatOptions,
    jobName: N | undefined,
    jobData: T,
    opts: JobSchedulerTemplateOptions | undefined,
  ): Promise<Job<T, R, N> | undefined> {
    const now = Date.now();
    const id = checkSchedulerId(rawId);
    const s = checkSchedule(repeatOpts, now, this.opts.settings?.repeatStrategy !== undefined);
    const t = checkTemplate({ name: jobName, data: jobData, opts }, id, {}, this.opts.customBackoffTypes);
    const name = t.name ?? id;
    if (s.limit !== undefined && s.count > s.limit) return undefined;

    let nextMillis: number | undefined;
    let nextMillis2: number | undefined;
    if (s.pattern !== undefined) {
      // immediately: this upsert's own now (the default strategy would read the clock again)
      const custom = this.opts.settings?.repeatStrategy !== undefined;
      nextMillis = s.immediately && !custom ? now : await this.repeatStrategy(now, repeatOpts, name);
      if (nextMillis === undefined || (s.endDate !== undefined && nextMillis > s.endDate)) return undefined;
      // where an existing scheduler goes when that time's iteration was taken early (see the
      // script); without one (a strategy that has none, or throws) it is bullmq's -10 there
      nextMillis2 = await Promise.resolve()
        .then(() => this.repeatStrategy(nextMillis!, withoutImmediately(repeatOpts), name))
        .catch(() => undefined);
    }
    const definition = dropUndefined({
      name,
      data: t.data,
      opts: Object.keys(t.opts).length > 0 ? encodeTemplateOptions(t.opts) : undefined,
      every: s.every,
      pattern: s.pattern,
      tz: s.tz,
      limit: s.limit,
      startDate: s.startDate,
      endDate: s.endDate,
      offset: s.offset,
      nextMillis,
      nextMillis2,
      repeat: JSON.stringify(s.repeat),
      now,
    });
    // checked input only: a refused upsert makes no span
    const create = (tm: string | undefined) => this.createNextJob<T, R, N>(id, { ...definition, tm });
    if (!this.tracing) return create(storedMetadata(t.opts.telemetry));
    return this.tracing.iteration({ jobName: name, schedulerId: id, telemetry: t.opts.telemetry }, create);
  }

  /**
   * Stores the scheduler and its first iteration (addJobScheduler.lua). bullmq's name for this step:
   * a method on the prototype, inside the upsert's span, so a stub that throws is recorded there.
   */
  private async createNextJob<T, R, N extends string>(id: string, definition: object): Promise<Job<T, R, N> | undefined> {
    const reply = await this.exec('addJobScheduler', [this.keys.repeat], [this.keys.base, id, JSON.stringify(definition)]);
    if (typeof reply === 'number') {
      if (reply < 0) throw scriptError(reply, undefined, 'addJobScheduler');
      return undefined;
    }
    const [jobId, hash] = reply as [string, string[]];
    return Job.fromHash<T, R, N>(this.host, hash, jobId);
  }

  /**
   * The iteration after `producerId` (wire-format §7.12): the script acts only for the scheduler's
   * current iteration, so racing workers and re-taken stalled jobs create nothing twice.
   */
  private async createNextIteration<T, R, N extends string>(
    rawId: unknown,
    repeat: StoredRepeat | undefined,
    jobName: string,
    jobOpts: JobsOptions | undefined,
    producerId: string | undefined,
  ): Promise<Job<T, R, N> | undefined> {
    const id = checkSchedulerId(rawId);
    if (typeof producerId !== 'string' || typeof repeat !== 'object' || repeat === null) return undefined;
    const now = Date.now();
    const count = Number(repeat.count ?? 0) || 0;
    if (repeat.limit !== undefined && count + 1 > Number(repeat.limit)) return undefined;
    const endDate = storedMillis(repeat.endDate);
    if (endDate !== undefined && now > endDate) return undefined;
    let cronNext = '';
    if (typeof repeat.pattern === 'string') {
      const prevMillis = storedMillis(jobOpts?.prevMillis) ?? Number(producerId.slice(producerId.lastIndexOf(':') + 1));
      const next = await this.repeatStrategy(Math.max(now, prevMillis || 0), repeat, jobName);
      if (next === undefined || (endDate !== undefined && next > endDate)) return undefined;
      cronNext = String(next);
    }
    const create = async (tm: string | undefined) => {
      const reply = await this.exec(
        'updateJobScheduler',
        [this.keys.repeat],
        [this.keys.base, id, producerId, now, cronNext, JSON.stringify({ ...repeat, count: count + 1 }), tm ?? ''],
      );
      if (!Array.isArray(reply)) return undefined;
      const [jobId, hash] = reply as [string, string[]];
      return Job.fromHash<T, R, N>(this.host, hash, jobId);
    };
    // the taken iteration's trace context goes on to the next one
    if (!this.tracing) return create(storedMetadata(jobOpts?.telemetry));
    return this.tracing.iteration({ jobName, schedulerId: id, telemetry: jobOpts?.telemetry }, create);
  }

  /** 0 when removed, 1 when there was no such scheduler (Queue.removeJobScheduler says true/false). */
  async removeJobScheduler(jobSchedulerId: string): Promise<number> {
    const id = checkSchedulerId(jobSchedulerId);
    return Number(await this.exec('removeJobScheduler', [this.keys.repeat], [this.keys.base, id]));
  }

  /**
   * Whether `id` is a job scheduler: its hash has the iteration count `ic`, which BullMQ 5's
   * repeatable jobs (same zset, ids of five or more colon-separated parts) never wrote.
   */
  async isJobScheduler(id: string): Promise<boolean> {
    const checked = checkSchedulerId(id);
    return (await (await this.client).hexists(`${this.keys.repeat}:${checked}`, 'ic')) === 1;
  }

  /** The scheduler, or undefined; a BullMQ 5 repeatable job in its place is an error saying how to migrate. */
  async getScheduler<D = any>(id: string): Promise<JobSchedulerJson<D> | undefined> {
    const checked = checkSchedulerId(id);
    const [scheduler] = await this.read<D>(['one', checked], false);
    return scheduler;
  }

  /**
   * Schedulers by next time, latest first unless `asc`. A BullMQ 5 repeatable job among them is
   * an error saying how to migrate; an entry with neither (nothing in its hash) is removed.
   */
  async getJobSchedulers<D = any>(start = 0, end = -1, asc = false): Promise<JobSchedulerJson<D>[]> {
    checkInteger('start', start, -Number.MAX_SAFE_INTEGER);
    checkInteger('end', end, -Number.MAX_SAFE_INTEGER);
    if (typeof asc !== 'boolean') throw new ConveyorValidationError(`asc must be a boolean, got ${show(asc)}`);
    return this.read<D>(['range', start, end, asc ? 1 : 0], true);
  }

  async getSchedulersCount(): Promise<number> {
    return (await this.client).zcard(this.keys.repeat);
  }

  /** Stops this scheduler object; the connection belongs to whoever passed it. */
  async close(): Promise<void> {
    this.closing ??= this.closeConnection();
    return this.closing;
  }

  private async read<D>(args: (string | number)[], dropDangling: boolean): Promise<JobSchedulerJson<D>[]> {
    const raw = (await this.exec('getJobSchedulers', [this.keys.repeat], [this.keys.base, ...args])) as unknown[];
    const out: JobSchedulerJson<D>[] = [];
    const dangling: string[] = [];
    for (let i = 0; i < raw.length; i += 3) {
      const id = raw[i] as string;
      const hash = flatToHash(raw[i + 2] as string[]);
      if (Object.keys(hash).length > 0) out.push(toJson<D>(id, raw[i + 1] as string, hash));
      else if (hasLegacyRepeatableKeyShape(id)) throw getLegacyRepeatableJobError(id);
      else dangling.push(id);
    }
    // a zset entry without its hash cannot run (nothing to build iterations from): BullMQ drops it when listing
    if (dropDangling && dangling.length > 0) await (await this.client).zrem(this.keys.repeat, ...dangling);
    return out;
  }
}

export function checkRepeatSettings(settings: AdvancedRepeatOptions | undefined): void {
  if (settings === undefined) return;
  if (typeof settings !== 'object' || settings === null) {
    throw new ConveyorValidationError(`settings must be an object such as { repeatStrategy }, got ${show(settings)}`);
  }
  if (settings.repeatStrategy !== undefined && typeof settings.repeatStrategy !== 'function') {
    throw new ConveyorValidationError(
      `settings.repeatStrategy must be a function (millis, opts, name) => number | undefined, got ${show(settings.repeatStrategy)}`,
    );
  }
}

function withoutImmediately(opts: RepeatOptions): RepeatOptions {
  const { immediately: _ignored, ...rest } = opts;
  return rest;
}

/** Template options as the scheduler hash stores them: abbreviated, without the attempts default. */
function encodeTemplateOptions(opts: JobsOptions): string {
  const encoded = JSON.parse(encodeStoredOptions(opts)) as Record<string, unknown>;
  if (opts.attempts === undefined) delete encoded.attempts;
  return JSON.stringify(encoded);
}

function storedMillis(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value !== '') {
    const ms = Number.isFinite(Number(value)) ? Number(value) : new Date(value).getTime();
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function optionalNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A scheduler hash (and its zset score) in BullMQ's getJobScheduler shape. */
function toJson<D>(id: string, next: string, hash: Record<string, string>): JobSchedulerJson<D> {
  const json: JobSchedulerJson<D> = dropUndefined({
    key: id,
    name: hash.name,
    next: Number(next),
    iterationCount: optionalNumber(hash.ic),
    limit: optionalNumber(hash.limit),
    startDate: optionalNumber(hash.startDate),
    endDate: optionalNumber(hash.endDate),
    tz: hash.tz,
    pattern: hash.pattern,
    every: optionalNumber(hash.every),
    offset: optionalNumber(hash.offset),
  });
  if (hash.data !== undefined || hash.opts !== undefined) {
    json.template = dropUndefined({
      data: parseJson(hash.data) as D | undefined,
      opts: hash.opts === undefined ? undefined : (decodeStoredOptions(hash.opts) as JobSchedulerTemplateOptions),
    });
  }
  return json;
}

/** A Queue or Worker (or another job host): what its JobScheduler is made from. */
export type SchedulerOwner = JobHost & {
  readonly opts?: { settings?: AdvancedRepeatOptions; customBackoffTypes?: string[]; telemetry?: Telemetry };
  listenerCount?(event: string): number;
};

const schedulers = new WeakMap<SchedulerOwner, Promise<JobScheduler>>();

/**
 * The owner's JobScheduler, made once on its connection once that is ready; its errors go to the
 * owner's 'error' listeners (BullMQ's `queue.jobScheduler` / `worker.jobScheduler`).
 */
export function jobSchedulerOf(owner: SchedulerOwner): Promise<JobScheduler> {
  let scheduler = schedulers.get(owner);
  if (!scheduler) {
    scheduler = owner.client.then((client) => {
      const made = new JobScheduler(
        owner.keys.queueName,
        {
          connection: client,
          prefix: owner.keys.prefix,
          settings: owner.opts?.settings,
          customBackoffTypes: owner.opts?.customBackoffTypes,
          telemetry: owner.opts?.telemetry,
        },
        owner,
      );
      made.on('error', (err: unknown) => {
        if ((owner.listenerCount?.('error') ?? 0) > 0) owner.emit('error', err);
      });
      return made;
    });
    // a failed connect is the caller's error now; the next call tries again
    scheduler.catch(() => schedulers.delete(owner));
    schedulers.set(owner, scheduler);
  }
  return scheduler;
}

/** Closes the owner's JobScheduler if it made one (the connection is the owner's to close). */
export async function closeJobSchedulerOf(owner: SchedulerOwner): Promise<void> {
  const scheduler = schedulers.get(owner);
  if (scheduler)
    await scheduler.then(
      (s) => s.close(),
      () => undefined,
    );
}
