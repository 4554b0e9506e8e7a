import type { ConnectionOptions } from './connection.js';
import { ConveyorValidationError } from './errors.js';
import type { AdvancedRepeatOptions } from './job-scheduler-options.js';
import type { JobTelemetryOptions, Telemetry } from './telemetry.js';

/** `removeOnComplete` / `removeOnFail`: true = remove at once, N = keep newest N, or age/count. */
export type KeepJobs = boolean | number | { age?: number; count?: number; limit?: number };

export interface BackoffOptions {
  /** `fixed`, `exponential`, or `custom` (computed by the worker's `settings.backoffStrategy`). */
  type: string;
  /** Milliseconds. */
  delay?: number;
  /** 0..1: the share of the delay that is randomised. */
  jitter?: number;
}

export interface ParentOptions {
  id: string;
  /** Qualified name of the parent's queue: `<prefix>:<queue>`. */
  queue: string;
}

/**
 * `opts.deduplication` (wire-format §7.2): while a job owns the id, adds with the same id are
 * dropped (or, with `replace`/`reschedule`/`keepLastIfActive`, handled as those say).
 */
export interface DeduplicationOptions {
  id: string;
  /** Throttle: the id stays taken for this many ms, whatever became of the owner. Without it,
   *  the id is taken until the owner completes, fails or is removed. */
  ttl?: number;
  /** With `ttl`: every deduplicated add starts the ttl afresh. */
  extend?: boolean;
  /** Debounce: a newer add replaces an owner that is still delayed. */
  replace?: boolean;
  /** An add arriving while the owner is active is kept (the latest one wins) and queued once the
   *  owner finishes. The id is then held until that happens: `ttl` is ignored (as in BullMQ). */
  keepLastIfActive?: boolean;
  /** A newer add moves a still-delayed owner to the newer add's due time. */
  reschedule?: boolean;
}

export interface JobsOptions {
  jobId?: string;
  /** Milliseconds before the job may run. @default 0 */
  delay?: number;
  /** 1 (highest) .. 2,097,151; 0 = none. @default 0 */
  priority?: number;
  lifo?: boolean;
  /** Total attempts, first one included. @default 0 (= 1 attempt) */
  attempts?: number;
  backoff?: number | BackoffOptions;
  removeOnComplete?: KeepJobs;
  removeOnFail?: KeepJobs;
  keepLogs?: number;
  /** Stack frames kept per failure. */
  stackTraceLimit?: number;
  /** Maximum size in bytes of the job's data as JSON. */
  sizeLimit?: number;
  /** Creation time in ms. @default Date.now() */
  timestamp?: number;
  parent?: ParentOptions;
  failParentOnFailure?: boolean;
  continueParentOnFailure?: boolean;
  ignoreDependencyOnFailure?: boolean;
  removeDependencyOnFailure?: boolean;
  /** Trace context carried by the job (stored as `tm`/`omc`); set by producers with telemetry. */
  telemetry?: JobTelemetryOptions;
  deduplication?: DeduplicationOptions;
  /** Options stored by other clients (e.g. BullMQ) are kept as they are. */
  [other: string]: unknown;
}

export interface QueueBaseOptions {
  connection?: ConnectionOptions;
  /** @default 'bull' (BullMQ's, so both share queues) */
  prefix?: string;
}

export interface QueueOptions extends QueueBaseOptions {
  defaultJobOptions?: JobsOptions;
  /** Backoff type names, besides fixed/exponential/custom, that workers of this queue know. */
  customBackoffTypes?: string[];
  streams?: { events?: { maxLen?: number } };
  /** Do not write `meta.version` / `meta.opts.maxLenEvents` on construction. */
  skipMetasUpdate?: boolean;
  /** Trace adds (`add`/`addBulk` spans); the jobs carry the context to the worker. */
  telemetry?: Telemetry;
  /** `repeatStrategy`: computes job schedulers' `pattern` times instead of cron-parser. */
  settings?: AdvancedRepeatOptions;
}

export const DEFAULT_PREFIX = 'bull';
export const MAX_PRIORITY = 2_097_151;
export const DEFAULT_MAX_LEN_EVENTS = 10_000;

// ---------------------------------------------------------------------------------------------
// Validation: every check names the option and the value, and runs before anything reaches Redis.

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value); // JSON would print NaN and Infinity as null
  if (typeof value === 'function') return 'a function';
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    fail(`${name} must be an integer, got ${show(value)}`);
  }
  if (value < min || value > max) {
    fail(max === Number.MAX_SAFE_INTEGER ? `${name} must be >= ${min}, got ${value}` : `${name} must be between ${min} and ${max}, got ${value}`);
  }
}

function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') fail(`${name} must be a boolean, got ${show(value)}`);
}

export function checkQueueName(name: unknown): asserts name is string {
  // BullMQ's texts first: code and tests match on them
  if (typeof name !== 'string' || name.length === 0) fail(`Queue name must be provided (a non-empty string), got ${show(name)}`);
  if (name.includes(':')) fail(`Queue name cannot contain :, got ${show(name)}`);
}

export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length === 0) fail(`prefix must be a non-empty string, got ${show(prefix)}`);
}

function checkKeepJobs(name: string, value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (typeof value === 'number') return checkInteger(name, value, 0);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${name} must be a boolean, a count or { age, count, limit }, got ${show(value)}`);
  }
  const keep = value as Record<string, unknown>;
  for (const key of Object.keys(keep)) {
    if (!['age', 'count', 'limit'].includes(key)) fail(`${name}.${key} is not a known option (age, count, limit)`);
  }
  if (keep.age !== undefined) checkInteger(`${name}.age`, keep.age, 0);
  if (keep.count !== undefined) checkInteger(`${name}.count`, keep.count, -1);
  if (keep.limit !== undefined) checkInteger(`${name}.limit`, keep.limit, 1);
}

const BUILT_IN_BACKOFFS = ['fixed', 'exponential', 'custom'];

function checkBackoff(value: unknown, customTypes: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value === 'number') return checkInteger('backoff', value, 0);
  if (typeof value !== 'object' || value === null) fail(`backoff must be a delay in ms or { type, delay }, got ${show(value)}`);
  const b = value as Record<string, unknown>;
  const known = [...BUILT_IN_BACKOFFS, ...customTypes];
  if (typeof b.type !== 'string' || !known.includes(b.type)) {
    fail(
      `backoff.type must be one of ${known.map((t) => `'${t}'`).join(', ')} ` +
        `(other names go in the queue's customBackoffTypes), got ${show(b.type)}`,
    );
  }
  if (b.delay !== undefined) checkInteger('backoff.delay', b.delay, 0);
  if (b.jitter !== undefined && (typeof b.jitter !== 'number' || !(b.jitter >= 0 && b.jitter <= 1))) {
    fail(`backoff.jitter must be a number between 0 and 1, got ${show(b.jitter)}`);
  }
}

/** BullMQ's rules for custom ids (wire-format §9.2). */
export function checkJobId(jobId: unknown): void {
  if (typeof jobId !== 'string' || jobId.length === 0) fail(`jobId must be a non-empty string, got ${show(jobId)}`);
  if (jobId === '0' || jobId.startsWith('0:')) fail(`jobId must not be "0" or start with "0:", got ${show(jobId)}`);
  if (String(parseInt(jobId, 10)) === jobId) {
    fail(`jobId must not be an integer (custom ids would collide with generated ones), got ${show(jobId)}`);
  }
  if (jobId.includes(':') && jobId.split(':').length !== 3) {
    fail(`jobId may contain ":" only as "<a>:<b>:<c>", got ${show(jobId)}`);
  }
}

const PARENT_FLAGS = ['failParentOnFailure', 'continueParentOnFailure', 'ignoreDependencyOnFailure', 'removeDependencyOnFailure'];

const KNOWN_JOB_OPTIONS = new Set([
  'jobId', 'delay', 'priority', 'lifo', 'attempts', 'backoff', 'removeOnComplete', 'removeOnFail', 'keepLogs',
  'stackTraceLimit', 'sizeLimit', 'timestamp', 'parent', ...PARENT_FLAGS, 'telemetry', 'deduplication',
  // written by job schedulers (BullMQ and ours) and read back as they are
  'repeat', 'repeatJobKey', 'prevMillis',
]);

export function validateJobOptions(opts: unknown, customBackoffTypes: readonly string[] = []): asserts opts is JobsOptions {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) fail(`job options must be an object, got ${show(opts)}`);
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (o[key] === undefined) continue;
    if (key === 'debounce') {
      fail(`debounce was removed in BullMQ 6: use deduplication: { id, ttl, replace: true } instead (got ${show(o[key])})`);
    }
    if (!KNOWN_JOB_OPTIONS.has(key)) fail(`${key} is not a known job option (got ${show(o[key])})`);
  }
  if (o.jobId !== undefined) checkJobId(o.jobId);
  if (o.delay !== undefined) checkInteger('delay', o.delay, 0);
  if (o.priority !== undefined) checkInteger('priority', o.priority, 0, MAX_PRIORITY);
  if (o.lifo !== undefined) checkBoolean('lifo', o.lifo);
  if (o.attempts !== undefined) checkInteger('attempts', o.attempts, 0);
  checkBackoff(o.backoff, customBackoffTypes);
  checkKeepJobs('removeOnComplete', o.removeOnComplete);
  checkKeepJobs('removeOnFail', o.removeOnFail);
  if (o.keepLogs !== undefined) checkInteger('keepLogs', o.keepLogs, 0);
  if (o.stackTraceLimit !== undefined) checkInteger('stackTraceLimit', o.stackTraceLimit, 0);
  if (o.sizeLimit !== undefined) checkInteger('sizeLimit', o.sizeLimit, 1);
  if (o.timestamp !== undefined) checkInteger('timestamp', o.timestamp, 0);
  checkJobTelemetry(o.telemetry);
  const flags = PARENT_FLAGS.filter((f) => o[f] !== undefined);
  for (const f of flags) checkBoolean(f, o[f]);
  if (flags.filter((f) => o[f] === true).length > 1) {
    fail(`only one of ${PARENT_FLAGS.join(', ')} may be set, got ${flags.join(' and ')}`);
  }
  if (o.parent !== undefined) {
    const p = o.parent as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || !p.id || typeof p.queue !== 'string' || !p.queue) {
      fail(`parent must be { id: string, queue: '<prefix>:<queue>' }, got ${show(o.parent)}`);
    }
  }
  checkDeduplication(o);
}

const DEDUPLICATION_FLAGS = ['extend', 'replace', 'keepLastIfActive', 'reschedule'] as const;
const DEDUPLICATION_KEYS = new Set(['id', 'ttl', ...DEDUPLICATION_FLAGS]);

/**
 * `deduplication` on its own and together with the other options (also after defaults are merged).
 * Combinations where BullMQ silently drops one of the settings are refused, except ttl with
 * keepLastIfActive, which BullMQ documents as ignored.
 */
export function checkDeduplication(opts: { deduplication?: unknown; parent?: unknown }): void {
  const de = opts.deduplication;
  if (de === undefined) return;
  if (typeof de !== 'object' || de === null || Array.isArray(de)) {
    fail(`deduplication must be { id, ttl?, extend?, replace?, keepLastIfActive?, reschedule? }, got ${show(de)}`);
  }
  const d = de as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (d[key] !== undefined && !DEDUPLICATION_KEYS.has(key)) {
      fail(`deduplication.${key} is not a known option (${[...DEDUPLICATION_KEYS].join(', ')}), got ${show(d[key])}`);
    }
  }
  if (typeof d.id !== 'string' || d.id.length === 0) fail(`deduplication.id must be a non-empty string, got ${show(d.id)}`);
  if (d.ttl !== undefined) checkInteger('deduplication.ttl', d.ttl, 1);
  for (const flag of DEDUPLICATION_FLAGS) if (d[flag] !== undefined) checkBoolean(`deduplication.${flag}`, d[flag]);
  if (d.extend === true && d.ttl === undefined) fail(`deduplication.extend needs deduplication.ttl (the window it extends), got ${show(de)}`);
  if (d.replace === true && d.reschedule === true) {
    fail(`deduplication.replace and deduplication.reschedule exclude each other (one replaces the delayed owner, the other moves it), got ${show(de)}`);
  }
  if (opts.parent !== undefined) {
    fail(`deduplication cannot be used together with parent (got deduplication ${show(de)} and parent ${show(opts.parent)})`);
  }
}

/** The job option `telemetry`: { metadata?: string, omitContext?: boolean }. */
export function checkJobTelemetry(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`telemetry must be { metadata?, omitContext? }, got ${show(value)}`);
  const t = value as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (t[key] !== undefined && key !== 'metadata' && key !== 'omitContext') {
      fail(`telemetry.${key} is not a known option (metadata, omitContext), got ${show(t[key])}`);
    }
  }
  if (t.metadata !== undefined && typeof t.metadata !== 'string') fail(`telemetry.metadata must be a string, got ${show(t.metadata)}`);
  if (t.omitContext !== undefined) checkBoolean('telemetry.omitContext', t.omitContext);
}

/** Serialises job data; circular or BigInt data gets an error naming the job. */
export function serializeData(data: unknown, jobName: string, sizeLimit?: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    fail(`data of job ${show(jobName)} cannot be serialized to JSON: ${(err as Error).message}`);
  }
  if (json === undefined) {
    if (data === undefined) json = '{}';
    else fail(`data of job ${show(jobName)} cannot be serialized to JSON: got ${show(data)}`);
  }
  if (sizeLimit !== undefined && Buffer.byteLength(json) > sizeLimit) {
    fail(`data of job ${show(jobName)} is ${Buffer.byteLength(json)} bytes, over its sizeLimit of ${sizeLimit}`);
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Stored options: BullMQ abbreviates a few keys in the job hash's `opts` (wire-format §3.2).

const ABBREVIATIONS: Record<string, string> = {
  deduplication: 'de',
  failParentOnFailure: 'fpof',
  continueParentOnFailure: 'cpof',
  ignoreDependencyOnFailure: 'idof',
  removeDependencyOnFailure: 'rdof',
  keepLogs: 'kl',
};
const EXPANSIONS = new Map(Object.entries(ABBREVIATIONS).map(([k, v]) => [v, k]));

export function encodeStoredOptions(opts: JobsOptions): string {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined) continue;
    if (key === 'telemetry') {
      const t = value as { metadata?: string; omitContext?: boolean };
      if (t.metadata !== undefined) out.tm = t.metadata;
      if (t.omitContext !== undefined) out.omc = t.omitContext;
      continue;
    }
    out[ABBREVIATIONS[key] ?? key] = key === 'backoff' ? normalizeBackoff(value as number | BackoffOptions) : value;
  }
  if (out.attempts === undefined) out.attempts = 0;
  return JSON.stringify(out);
}

export function decodeStoredOptions(json: string | undefined): JobsOptions {
  if (!json) return {};
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json);
  } catch {
    return {};
  }
  const out: Record<string, unknown> = {};
  // for..in rather than Object.entries: this runs for every job a worker takes
  for (const key in raw) {
    const value = raw[key];
    if (key === 'tm' || key === 'omc') {
      const t = (out.telemetry ??= {}) as Record<string, unknown>;
      t[key === 'tm' ? 'metadata' : 'omitContext'] = value;
      continue;
    }
    out[EXPANSIONS.get(key) ?? key] = value;
  }
  return out as JobsOptions;
}

export function normalizeBackoff(backoff: number | BackoffOptions | undefined): BackoffOptions | undefined {
  if (backoff === undefined) return undefined;
  if (typeof backoff === 'number') return { type: 'fixed', delay: backoff };
  return backoff;
}

/** keepJobs as the finish script takes it: count (-1 = all), age in s (0 = none), limit. */
export function keepJobsArgs(keep: KeepJobs | undefined): [number, number, number] {
  if (keep === undefined || keep === false) return [-1, 0, 1000];
  if (keep === true) return [0, 0, 1000];
  if (typeof keep === 'number') return [keep, 0, 1000];
  return [keep.count ?? -1, keep.age ?? 0, keep.limit ?? 1000];
}
