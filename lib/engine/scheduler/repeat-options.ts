import type { QueueBaseOptions } from '../connection/queue-base.js';
import { ConveyorValidationError } from '../core/errors.js';
import { serializeData, validateJobOptions } from '../core/job-options-validation.js';
import type { JobsOptions } from '../core/job-options.js';
import { show } from '../core/show.js';
import { nextCronTime } from './repeat-time.js';

/**
 * What job schedulers take (BullMQ 6.7's names and types) and how the input is checked. BullMQ's
 * error text comes first, Conveyor's detail (the option, the value) after it. Input BullMQ accepts
 * is accepted, except where BullMQ would write a schedule that cannot run (see checkSchedule).
 */

/** When a scheduler runs: one of `every` and `pattern`. */
export interface RepeatOptions {
  /** No iteration after this time; must not be in the past. */
  endDate?: Date | string | number;
  /** No iteration before this time. */
  startDate?: Date | string | number;
  /** Cron expression, 5 fields or 6 with seconds first (cron-parser 5), or what `settings.repeatStrategy` reads. */
  pattern?: string;
  /** Legacy (BullMQ 5) repeatable key: carried in the iterations' `opts.repeat`, nothing else. */
  key?: string;
  /** Most iterations (counted from `count`). */
  limit?: number;
  /** Milliseconds between iterations. */
  every?: number;
  /** Cron: run the first iteration now instead of at the first match. */
  immediately?: boolean;
  /** Iterations already counted: the first one gets count + 1. @default 0 */
  count?: number;
  /** `every`: iterations at `k * every + offset` ms since the epoch. */
  offset?: number;
  /** Set by the scheduler on cron iterations; ignored on input. */
  prevMillis?: number;
  /** @deprecated not used (BullMQ 5). */
  jobId?: string;
  /** IANA time zone the pattern is read in. @default the process's zone */
  tz?: string;
}

/** Computes a pattern's next time (ms) after `millis`; undefined = no more iterations. */
export type RepeatStrategy = (millis: number, opts: RepeatOptions, name?: string) => number | undefined | Promise<number | undefined>;

/** `settings` of a Queue or Worker that concern schedulers. */
export interface AdvancedRepeatOptions {
  /** Computes `pattern` schedules instead of cron-parser (say, RRULE strings). */
  repeatStrategy?: RepeatStrategy;
  /** BullMQ 5 legacy repeatable keys only; accepted and not used. */
  repeatKeyHashAlgorithm?: string;
}

/**
 * Options of the iteration jobs, as bullmq types them; the scheduler sets their id, delay,
 * timestamp and repeat itself.
 */
export type JobSchedulerTemplateOptions = Omit<JobsOptions, 'jobId' | 'repeat' | 'delay' | 'deduplication'>;

export interface JobSchedulerTemplate<DataType = any, NameType extends string = string> {
  /** Name of the iteration jobs. @default the scheduler id */
  name?: NameType;
  data?: DataType;
  opts?: JobSchedulerTemplateOptions;
}

export interface JobSchedulerTemplateJson<DataType = any> {
  data?: DataType;
  opts?: JobSchedulerTemplateOptions;
}

/** A scheduler as getJobScheduler(s) return it (BullMQ's shape). */
export interface JobSchedulerJson<DataType = any> {
  key: string;
  name: string;
  id?: string | null;
  iterationCount?: number;
  limit?: number;
  startDate?: number;
  endDate?: number;
  tz?: string;
  pattern?: string;
  every?: number;
  /** Time (ms) of the current iteration. */
  next?: number;
  offset?: number;
  template?: JobSchedulerTemplateJson<DataType>;
}

/** Options of a job a scheduler produced: its `repeat` says how the next one is computed. */
export interface JobSchedulerJobOptions extends JobsOptions {
  repeat?: Omit<RepeatOptions, 'key' | 'jobId'>;
}

/** Checked repeat options, dates in ms. */
export interface Schedule {
  every?: number;
  pattern?: string;
  tz?: string;
  limit?: number;
  startDate?: number;
  endDate?: number;
  offset?: number;
  immediately: boolean;
  /** The first iteration's count. */
  count: number;
  /** The first iteration's `opts.repeat`. */
  repeat: Record<string, unknown>;
}

/** Template options the scheduler decides itself, or that an iteration cannot have (BullMQ ignores them too). */
const SCHEDULER_SET_OPTIONS = ['jobId', 'delay', 'timestamp', 'repeat', 'repeatJobKey', 'prevMillis', 'deduplication', 'parent'];

/** Repeat options that do not go into the iterations' `opts.repeat` as given. */
const NOT_CARRIED = new Set(['every', 'pattern', 'tz', 'limit', 'startDate', 'endDate', 'offset', 'immediately', 'count']);

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

export function checkSchedulerId(id: unknown): string {
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id !== 'string' || id.length === 0) fail(`job scheduler id must be a non-empty string, got ${show(id)}`);
  return id;
}

function toMillis(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ms = NaN;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && value.trim() !== '') ms = new Date(value).getTime();
  if (!Number.isInteger(ms)) {
    const shown = value instanceof Date ? String(value) : show(value);
    fail(`${name} must be a date (a Date, a date string or milliseconds since the epoch), got ${shown}`);
  }
  return ms;
}

/** A number, or a string of digits (BullMQ takes `every: '1000'` and computes with it). */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Checks repeat options the way BullMQ 6.7 does (same order, same texts), and refuses what BullMQ
 * would store as a schedule that cannot run: a negative or fractional `every`, a negative offset,
 * a date that does not parse, a startDate after the endDate.
 * `customStrategy`: the pattern is read by `settings.repeatStrategy`, not by cron-parser.
 */
export function checkSchedule(repeatOpts: unknown, now: number, customStrategy: boolean): Schedule {
  const o = (typeof repeatOpts === 'object' && repeatOpts !== null ? repeatOpts : {}) as Record<string, unknown>;
  const endDate = toMillis('endDate', o.endDate);
  if (endDate !== undefined && endDate < now) {
    fail(`End date must be greater than current timestamp (endDate ${show(o.endDate)}, ${new Date(endDate).toISOString()})`);
  }
  // BullMQ reads falsy every/pattern (0, '') as absent
  const hasEvery = Boolean(o.every);
  const hasPattern = Boolean(o.pattern);
  if (hasEvery && hasPattern) {
    fail(
      `Both .pattern and .every options are defined for this repeatable job (got every ${show(o.every)} and pattern ${show(o.pattern)})`,
    );
  }
  if (!hasEvery && !hasPattern) {
    const got =
      typeof repeatOpts === 'object' && repeatOpts !== null
        ? `every ${show(o.every)} and pattern ${show(o.pattern)}`
        : `repeat options ${show(repeatOpts)}`;
    fail(`Either .pattern or .every options must be defined for this repeatable job (got ${got})`);
  }
  if (o.immediately && o.startDate !== undefined && o.startDate !== null) {
    fail(`Both .immediately and .startDate options are defined for this repeatable job (got startDate ${show(o.startDate)})`);
  }

  const s: Schedule = { immediately: Boolean(o.immediately), count: 1, repeat: {} };
  if (o.tz !== undefined && o.tz !== null) {
    if (typeof o.tz !== 'string') fail(`tz must be an IANA time zone name such as "Europe/Paris", got ${show(o.tz)}`);
    s.tz = o.tz;
  }
  if (hasEvery) {
    const every = toNumber(o.every);
    if (every === undefined || !Number.isInteger(every) || every < 1) {
      fail(`every must be a whole number of ms >= 1, got ${show(o.every)}`);
    }
    s.every = every;
  } else {
    if (typeof o.pattern !== 'string') fail(`pattern must be a cron expression, got ${show(o.pattern)}`);
    s.pattern = o.pattern;
    // an unknown tz only matters to a pattern (BullMQ keeps it with every): cron-parser rejects it
    if (!customStrategy) checkPattern(s.pattern, s.tz, now);
  }
  if (o.limit !== undefined && o.limit !== null) {
    if (typeof o.limit !== 'number' || Number.isNaN(o.limit)) fail(`limit must be a number, got ${show(o.limit)}`);
    s.limit = o.limit;
  }
  if (o.count !== undefined && o.count !== null) {
    if (typeof o.count !== 'number' || !Number.isInteger(o.count) || o.count < 0)
      fail(`count must be a whole number >= 0, got ${show(o.count)}`);
    s.count = o.count + 1;
  }
  // BullMQ takes an offset on a pattern too, and ignores it
  if (o.offset !== undefined && o.offset !== null && hasEvery) {
    if (typeof o.offset !== 'number' || !Number.isInteger(o.offset) || o.offset < 0) {
      fail(`offset must be a whole number of ms >= 0, got ${show(o.offset)}`);
    }
    s.offset = o.offset;
  }
  s.startDate = toMillis('startDate', o.startDate);
  s.endDate = endDate;
  if (s.startDate !== undefined && s.endDate !== undefined && s.startDate >= s.endDate) {
    fail(`startDate must be before endDate, got startDate ${show(o.startDate)} and endDate ${show(o.endDate)}`);
  }

  // the iteration's opts.repeat, as BullMQ writes it: the options as given (dates in ms), with the count
  const repeat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (value !== undefined && !NOT_CARRIED.has(key)) repeat[key] = value;
  }
  Object.assign(
    repeat,
    dropUndefined({
      every: s.every,
      pattern: s.pattern,
      tz: s.tz,
      limit: s.limit,
      startDate: s.startDate,
      endDate: s.endDate,
      offset: s.offset,
    }),
  );
  repeat.count = s.count;
  s.repeat = repeat;
  return s;
}

function checkPattern(pattern: string, tz: string | undefined, now: number): void {
  try {
    nextCronTime(pattern, tz, now);
  } catch (err) {
    // cron-parser's text first (BullMQ lets it through as it is)
    const where = tz === undefined ? '' : ` in time zone ${show(tz)}`;
    fail(`${(err as Error).message} (pattern ${show(pattern)}${where} is not a valid cron expression)`);
  }
}

/** The template's options as the scheduler stores them: checked as job options, the scheduler's own left out. */
export function checkTemplate(
  template: unknown,
  schedulerId: string,
  defaults: JobsOptions,
  customBackoffTypes: readonly string[] | undefined,
): { name?: string; data?: string; opts: JobsOptions } {
  if (template === undefined || template === null) return { opts: templateOptions(defaults, undefined, customBackoffTypes) };
  if (typeof template !== 'object' || Array.isArray(template)) {
    fail(`job scheduler template must be an object { name, data, opts }, got ${show(template)}`);
  }
  const t = template as Record<string, unknown>;
  if (t.name !== undefined && t.name !== null && typeof t.name !== 'string') {
    fail(`job scheduler template.name must be a string, got ${show(t.name)}`);
  }
  const opts = templateOptions(defaults, t.opts, customBackoffTypes);
  const name = (t.name ?? undefined) as string | undefined;
  // no data is stored as no field (BullMQ leaves `{}` out too); iterations then get `{}`
  const json = t.data === undefined ? undefined : serializeData(t.data, name ?? schedulerId, opts.sizeLimit);
  return { name, data: json === '{}' ? undefined : json, opts };
}

function templateOptions(defaults: JobsOptions, given: unknown, customBackoffTypes: readonly string[] | undefined): JobsOptions {
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    fail(`job scheduler template.opts must be an object, got ${show(given)}`);
  }
  const own = { ...((given ?? {}) as Record<string, unknown>) };
  if (own.debounce !== undefined) {
    fail(`Debounce option has been removed. Use deduplication option instead (template.opts.debounce ${show(own.debounce)})`);
  }
  const merged: Record<string, unknown> = { ...defaults, ...own };
  for (const key of SCHEDULER_SET_OPTIONS) delete merged[key];
  validateJobOptions(merged, customBackoffTypes);
  return dropUndefined(merged) as JobsOptions;
}

export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The options of bullmq's job scheduler class: a queue's base options and its repeat settings. */
export type RepeatBaseOptions = QueueBaseOptions & { settings?: AdvancedRepeatOptions };

/** A legacy (BullMQ 5) repeatable job's settings, as its key encodes them. */
export type RepeatableOptions = {
  name: string;
  startDate?: number;
  endDate?: number;
  tz?: string;
  limit?: number;
  pattern?: string;
  every?: number;
  offset?: number;
};
