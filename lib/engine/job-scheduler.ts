import { CronExpressionParser } from 'cron-parser';
import { ConveyorValidationError, scriptError } from './errors.js';
import { Job, flatToHash, type JobHost } from './job.js';
import {
  checkInteger,
  decodeStoredOptions,
  encodeStoredOptions,
  serializeData,
  show,
  validateJobOptions,
  type JobsOptions,
} from './options.js';
import { runScript } from './scripts.js';
import { storedMetadata } from './telemetry.js';
import type { SchedulerTracing } from './telemetry-scheduler.js';

/**
 * Job schedulers (BullMQ 6 names and Redis layout, wire-format §7.12): a `repeat` zset entry and a
 * `repeat:<id>` hash per scheduler, and one pending iteration job `repeat:<id>:<millis>` at a time.
 * The next iteration is created when a worker takes the current one (scheduleNextIteration).
 */

/** When a scheduler runs: exactly one of `every` and `pattern`. */
export interface RepeatOptions {
  /** Milliseconds between iterations. The first runs at once unless startDate or offset says otherwise. */
  every?: number;
  /** Cron expression, 5 fields or 6 with seconds first (cron-parser 5 syntax). */
  pattern?: string;
  /** IANA time zone the pattern is read in. @default the process's zone */
  tz?: string;
  /** Most iterations per upsert (the count starts again at 1 on each upsert). */
  limit?: number;
  /** No iteration before this time. */
  startDate?: Date | string | number;
  /** No iteration after this time; must be in the future. */
  endDate?: Date | string | number;
  /** Cron only: run the first iteration now instead of at the next match. */
  immediately?: boolean;
  /** `every` only: iterations at `k * every + offset` ms since the epoch. */
  offset?: number;
}

/** Options of the iteration jobs; the scheduler sets their id, delay and timestamp itself. */
export type JobSchedulerTemplateOptions = Pick<
  JobsOptions,
  'priority' | 'lifo' | 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail' | 'keepLogs' | 'stackTraceLimit' | 'sizeLimit'
> & { [other: string]: unknown };

export interface JobSchedulerTemplate<DataType = any, NameType extends string = string> {
  /** Name of the iteration jobs. @default the scheduler id */
  name?: NameType;
  data?: DataType;
  opts?: JobSchedulerTemplateOptions;
}

/** A scheduler as getJobScheduler(s) return it (BullMQ's shape). */
export interface JobSchedulerJson<DataType = any> {
  key: string;
  name: string;
  /** Time (ms) of the current iteration. */
  next?: number;
  iterationCount?: number;
  limit?: number;
  startDate?: number;
  endDate?: number;
  tz?: string;
  pattern?: string;
  every?: number;
  offset?: number;
  template?: { data?: DataType; opts?: JobsOptions };
}

/** What a scheduler needs from its queue. */
export interface SchedulerHost extends JobHost {
  readonly defaultJobOptions: JobsOptions;
  readonly opts: { customBackoffTypes?: string[] };
}

/** opts.repeat of an iteration job, as BullMQ and Conveyor store it. */
interface StoredRepeat {
  every?: number;
  pattern?: string;
  tz?: string;
  limit?: number;
  startDate?: number;
  endDate?: number;
  offset?: number;
  count?: number;
  [other: string]: unknown;
}

/** Checked repeat options, dates in ms. */
interface Schedule {
  every?: number;
  pattern?: string;
  tz?: string;
  limit?: number;
  startDate?: number;
  endDate?: number;
  offset?: number;
  immediately?: boolean;
}

const REPEAT_OPTIONS = ['every', 'pattern', 'tz', 'limit', 'startDate', 'endDate', 'immediately', 'offset'];
/** Template options the scheduler decides itself, or that an iteration cannot have. */
const SCHEDULER_SET_OPTIONS = ['jobId', 'delay', 'timestamp', 'parent', 'repeat', 'repeatJobKey', 'prevMillis'];

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

function toMillis(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  let ms = NaN;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && value.trim() !== '') ms = new Date(value).getTime();
  if (!Number.isInteger(ms) || ms < 0) {
    const shown = value instanceof Date ? String(value) : show(value);
    fail(`${name} must be a date (a Date, a date string or milliseconds since the epoch), got ${shown}`);
  }
  return ms;
}

function checkTimeZone(tz: unknown): asserts tz is string {
  let valid = typeof tz === 'string' && tz.length > 0;
  if (valid) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz as string });
    } catch {
      valid = false;
    }
  }
  if (!valid) fail(`tz must be an IANA time zone name such as "Europe/Paris", got ${show(tz)}`);
}

/** The first match of the pattern strictly after `after` (ms), in `tz`. */
export function nextCronTime(pattern: string, tz: string | undefined, after: number): number {
  return CronExpressionParser.parse(pattern, { currentDate: new Date(after), tz }).next().getTime();
}

function checkSchedule(id: unknown, repeatOpts: unknown, now: number): Schedule {
  if (typeof id !== 'string' || id.length === 0) fail(`job scheduler id must be a non-empty string, got ${show(id)}`);
  if (typeof repeatOpts !== 'object' || repeatOpts === null || Array.isArray(repeatOpts)) {
    fail(`repeat options must be an object such as { every: 60000 } or { pattern: '0 * * * *' }, got ${show(repeatOpts)}`);
  }
  const o = repeatOpts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !REPEAT_OPTIONS.includes(key)) {
      fail(`repeat option ${key} is not known (${REPEAT_OPTIONS.join(', ')}), got ${show(o[key])}`);
    }
  }
  const s: Schedule = {};
  if (o.every !== undefined && o.pattern !== undefined) {
    fail(`repeat options take one of every and pattern, got every ${show(o.every)} and pattern ${show(o.pattern)}`);
  }
  if (o.every === undefined && o.pattern === undefined) fail('repeat options need every (ms) or pattern (cron), got neither');
  if (o.tz !== undefined) {
    checkTimeZone(o.tz);
    s.tz = o.tz;
  }
  if (o.every !== undefined) {
    checkInteger('every', o.every, 1);
    s.every = o.every as number;
  } else {
    if (typeof o.pattern !== 'string' || o.pattern.trim() === '') fail(`pattern must be a cron expression, got ${show(o.pattern)}`);
    try {
      nextCronTime(o.pattern, s.tz, now);
    } catch (err) {
      fail(`pattern ${show(o.pattern)} is not a valid cron expression: ${(err as Error).message}`);
    }
    s.pattern = o.pattern;
  }
  if (o.limit !== undefined) {
    checkInteger('limit', o.limit, 1);
    s.limit = o.limit as number;
  }
  if (o.offset !== undefined) {
    if (s.pattern !== undefined) fail(`offset applies to every schedules only, not to pattern ${show(s.pattern)} (got offset ${show(o.offset)})`);
    checkInteger('offset', o.offset, 0);
    s.offset = o.offset as number;
  }
  if (o.immediately !== undefined) {
    if (typeof o.immediately !== 'boolean') fail(`immediately must be a boolean, got ${show(o.immediately)}`);
    s.immediately = o.immediately;
  }
  s.startDate = toMillis('startDate', o.startDate);
  s.endDate = toMillis('endDate', o.endDate);
  if (s.immediately && s.startDate !== undefined) {
    fail(`immediately and startDate cannot be combined, got immediately true and startDate ${show(o.startDate)}`);
  }
  if (s.endDate !== undefined && s.endDate <= now) {
    fail(`endDate must be in the future, got ${show(o.endDate)} (${new Date(s.endDate).toISOString()})`);
  }
  if (s.startDate !== undefined && s.endDate !== undefined && s.startDate >= s.endDate) {
    fail(`startDate must be before endDate, got startDate ${show(o.startDate)} and endDate ${show(o.endDate)}`);
  }
  return s;
}

function checkTemplate(template: unknown, customBackoffTypes: string[] | undefined): JobSchedulerTemplate {
  if (template === undefined) return {};
  if (typeof template !== 'object' || template === null || Array.isArray(template)) {
    fail(`job scheduler template must be an object { name, data, opts }, got ${show(template)}`);
  }
  const t = template as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (t[key] !== undefined && !['name', 'data', 'opts'].includes(key)) {
      fail(`job scheduler template.${key} is not known (name, data, opts), got ${show(t[key])}`);
    }
  }
  if (t.name !== undefined && (typeof t.name !== 'string' || t.name.length === 0)) {
    fail(`job scheduler template.name must be a non-empty string, got ${show(t.name)}`);
  }
  if (t.opts !== undefined && typeof t.opts === 'object' && t.opts !== null) {
    const opts = t.opts as Record<string, unknown>;
    for (const key of SCHEDULER_SET_OPTIONS) {
      if (opts[key] !== undefined) {
        fail(`job scheduler template.opts.${key} cannot be set: the scheduler decides it for each iteration (got ${show(opts[key])})`);
      }
    }
  }
  validateJobOptions(t.opts, customBackoffTypes);
  return t as JobSchedulerTemplate;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
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
function toJson<DataType>(id: string, next: string, hash: Record<string, string>): JobSchedulerJson<DataType> {
  const json: JobSchedulerJson<DataType> = dropUndefined({
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
      data: parseJson(hash.data) as DataType | undefined,
      opts: hash.opts === undefined ? undefined : decodeStoredOptions(hash.opts),
    });
  }
  return json;
}

/** A Queue's job schedulers. */
export class JobSchedulers<DataType = any, ResultType = any, NameType extends string = string> {
  constructor(
    private readonly host: SchedulerHost,
    /** With the queue's telemetry: the iteration is made inside bullmq's span (telemetry-scheduler.ts). */
    private readonly tracing?: SchedulerTracing,
  ) {}

  /**
   * Creates or updates the scheduler `id` and resolves with its next iteration job. Calling it
   * again with the same arguments changes nothing but the pending iteration's copy of the
   * template; a changed schedule or template replaces the pending iteration. Resolves with
   * undefined, writing nothing, when the first iteration would fall after endDate.
   */
  async upsert(
    id: string,
    repeatOpts: RepeatOptions,
    template?: JobSchedulerTemplate<DataType, NameType>,
  ): Promise<Job<DataType, ResultType, NameType> | undefined> {
    const now = Date.now();
    const s = checkSchedule(id, repeatOpts, now);
    const t = checkTemplate(template, this.host.opts.customBackoffTypes);
    const name = t.name ?? id;
    const templateOpts: JobsOptions = { ...this.host.defaultJobOptions, ...(t.opts ?? {}) };
    for (const key of SCHEDULER_SET_OPTIONS) delete templateOpts[key];
    // no data is stored as no field (BullMQ leaves `{}` out too); iterations then get `{}`
    const json = t.data === undefined ? undefined : serializeData(t.data, name, templateOpts.sizeLimit);
    const data = json === '{}' ? undefined : json;

    let nextMillis: number | undefined;
    if (s.pattern !== undefined) {
      nextMillis = s.immediately ? now : nextCronTime(s.pattern, s.tz, Math.max(now, s.startDate ?? 0));
      if (s.endDate !== undefined && nextMillis > s.endDate) return undefined;
    }
    // the iteration's opts.repeat: BullMQ keeps the options as given (immediately aside)
    const iterationRepeat = dropUndefined({
      every: s.every,
      pattern: s.pattern,
      tz: s.tz,
      limit: s.limit,
      startDate: s.startDate,
      endDate: s.endDate,
      offset: s.offset,
      count: 1,
    });
    const storedOpts = Object.keys(templateOpts).length > 0 ? encodeTemplateOptions(templateOpts) : undefined;
    const definition = dropUndefined({
      name,
      data,
      opts: storedOpts,
      every: s.every,
      pattern: s.pattern,
      tz: s.tz,
      limit: s.limit,
      startDate: s.startDate,
      endDate: s.endDate,
      offset: s.offset,
      nextMillis,
      repeat: JSON.stringify(iterationRepeat),
      now,
    });
    const create = async (tm: string | undefined) => {
      const client = await this.host.client;
      const reply = await runScript(client, 'addJobScheduler', [this.host.keys.repeat], [this.host.keys.base, id, JSON.stringify({ ...definition, tm })]);
      if (typeof reply === 'number') {
        if (reply < 0) throw scriptError(reply, undefined, 'addJobScheduler');
        return undefined;
      }
      const [jobId, hash] = reply as [string, string[]];
      return Job.fromHash<DataType, ResultType, NameType>(this.host, hash, jobId);
    };
    return this.tracing ? this.tracing.iteration(name, id, templateOpts.telemetry?.omitContext === true, create) : create(undefined);
  }

  async get(id: string): Promise<JobSchedulerJson<DataType> | undefined> {
    if (typeof id !== 'string' || id.length === 0) fail(`job scheduler id must be a non-empty string, got ${show(id)}`);
    const [scheduler] = await this.read(['one', id]);
    return scheduler;
  }

  /** Schedulers by next time, latest first unless `asc`; entries without a hash (legacy v5 ones) are left out. */
  async list(start = 0, end = -1, asc = false): Promise<JobSchedulerJson<DataType>[]> {
    checkInteger('start', start, 0);
    checkInteger('end', end, -1);
    if (typeof asc !== 'boolean') fail(`asc must be a boolean, got ${show(asc)}`);
    return this.read(['range', start, end, asc ? 1 : 0]);
  }

  async count(): Promise<number> {
    return (await this.host.client).zcard(this.host.keys.repeat);
  }

  /** Removes the scheduler and its pending delayed iteration; false when there was none. */
  async remove(id: string): Promise<boolean> {
    if (typeof id !== 'string' || id.length === 0) fail(`job scheduler id must be a non-empty string, got ${show(id)}`);
    const client = await this.host.client;
    const reply = await runScript(client, 'removeJobScheduler', [this.host.keys.repeat], [this.host.keys.base, id]);
    return Number(reply) === 0;
  }

  private async read(args: (string | number)[]): Promise<JobSchedulerJson<DataType>[]> {
    const client = await this.host.client;
    const raw = (await runScript(client, 'getJobSchedulers', [this.host.keys.repeat], [this.host.keys.base, ...args])) as unknown[];
    const out: JobSchedulerJson<DataType>[] = [];
    for (let i = 0; i < raw.length; i += 3) {
      const hash = flatToHash(raw[i + 2] as string[]);
      if (Object.keys(hash).length > 0) out.push(toJson<DataType>(raw[i] as string, raw[i + 1] as string, hash));
    }
    return out;
  }
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

/**
 * Called by a worker right after it took a job with `rjk`, before the processor runs: creates
 * the scheduler's next iteration (wire-format §7.12). The script only acts for the scheduler's
 * current iteration, so racing workers and re-taken stalled jobs create nothing twice. Errors go
 * to `onError`; the job is processed either way.
 */
export async function scheduleNextIteration(host: JobHost, job: Job, onError: (err: unknown) => void): Promise<void> {
  try {
    const repeat = job.opts.repeat as StoredRepeat | undefined;
    if (!repeat || typeof repeat !== 'object' || !job.repeatJobKey || !job.id) return;
    const now = Date.now();
    const count = Number(repeat.count ?? 0) || 0;
    if (repeat.limit !== undefined && count + 1 > Number(repeat.limit)) return;
    const endDate = storedMillis(repeat.endDate);
    if (endDate !== undefined && now > endDate) return;
    let cronNext = '';
    if (typeof repeat.pattern === 'string') {
      const prevMillis = storedMillis(job.opts.prevMillis) ?? Number(job.id.slice(job.id.lastIndexOf(':') + 1));
      const next = nextCronTime(repeat.pattern, repeat.tz, Math.max(now, prevMillis || 0));
      if (endDate !== undefined && next > endDate) return;
      cronNext = String(next);
    }
    const client = await host.client;
    await runScript(client, 'updateJobScheduler', [host.keys.repeat], [
      host.keys.base, job.repeatJobKey, job.id, now, cronNext, JSON.stringify({ ...repeat, count: count + 1 }),
      storedMetadata(job.opts.telemetry) ?? '',
    ]);
  } catch (err) {
    onError(err);
  }
}
