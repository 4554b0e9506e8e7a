import { MAX_PRIORITY } from './defaults.js';
import { ConveyorValidationError } from './errors.js';
import type { JobsOptions } from './job-options.js';
import { show } from './show.js';
import { checkBoolean, checkInteger } from './validation.js';

// Job options. BullMQ refuses a handful of things, with its own texts (tests and apps match on
// them); everything else it takes as it comes. So do we, unless the queue asks for
// `strictJobOptions`: then every option is checked for its type and range too.

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

/** The three flags that tell a parent what a child's failure means, in BullMQ's order of naming. */
const PARENT_FLAGS = ['removeDependencyOnFailure', 'failParentOnFailure', 'continueParentOnFailure', 'ignoreDependencyOnFailure'];

/**
 * How to check job options: BullMQ's rules always; `strict` adds Conveyor's type and range checks.
 * Without rules, validateJobOptions is strict (flows, schedulers and the Nest module call it so).
 */
export interface JobOptionsRules {
  /** Conveyor's checks of every option's type and range, and of unknown option names. */
  strict?: boolean;
  /** Queue.add: BullMQ refuses the custom ids "0" and "0:..." there (not in addBulk nor Job.create). */
  single?: boolean;
}

/**
 * An integer id: one the queue's counter gave, never a custom id (both engines refuse those), so
 * it is never a flow child's id given by hand.
 */
export function isIntegerId(jobId: string): boolean {
  // a worker asks for every job it takes: up to 15 digits the answer is read off the characters
  // (`-`, then no leading zero), beyond it parseInt decides as ever (rounding, exponents)
  const length = jobId.length;
  if (length === 0 || length > 15) return String(parseInt(jobId, 10)) === jobId;
  let i = jobId.charCodeAt(0) === 45 ? 1 : 0;
  if (i === length) return false;
  const first = jobId.charCodeAt(i);
  if (first === 48) return length === 1;
  if (first < 49 || first > 57) return false;
  for (i += 1; i < length; i++) {
    const c = jobId.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * BullMQ's rules for custom ids (wire-format §9.2), with its texts as they are: BullMQ's tests
 * compare some of them whole. An empty id is no id (the job gets a generated one), as in BullMQ.
 */
export function checkCustomJobId(jobId: unknown, single = false): void {
  if (jobId === undefined || jobId === '') return;
  if (typeof jobId !== 'string') fail(`jobId must be a string, got ${show(jobId)}`);
  if (single && (jobId === '0' || jobId.startsWith('0:'))) fail("JobId cannot be '0' or start with '0:'");
  if (isIntegerId(jobId)) fail('Custom Id cannot be integers');
  if (jobId.includes(':') && jobId.split(':').length !== 3) fail('Custom Id cannot contain :');
}

/** A custom id that must be there (flows name every node): BullMQ's rules, and not empty. */
export function checkJobId(jobId: unknown): void {
  if (jobId === '') fail('jobId must be a non-empty string, got ""');
  if (jobId === undefined) fail('jobId must be a non-empty string, got undefined');
  checkCustomJobId(jobId, true);
}

/**
 * Job options as BullMQ checks them, in its order and with its texts (our detail follows in
 * parentheses), then Conveyor's own checks when `rules.strict`. Run on the options as they will be
 * stored (defaults merged in); the size limit is serializeData's.
 */
export function validateJobOptions(
  opts: unknown,
  customBackoffTypes: readonly string[] = [],
  rules: JobOptionsRules = { strict: true },
): asserts opts is JobsOptions {
  if (opts === undefined || opts === null) return;
  if (rules.strict && (typeof opts !== 'object' || Array.isArray(opts))) fail(`job options must be an object, got ${show(opts)}`);
  if (typeof opts !== 'object') return; // BullMQ spreads a string or a number into the options: nothing it checks
  const o = opts as Record<string, unknown>;
  const flags = PARENT_FLAGS.filter((f) => o[f]);
  if (flags.length > 1) fail(`The following options cannot be used together: ${flags.join(', ')}`);
  checkCustomJobId(o.jobId, rules.single);
  if (o.priority || Number.isNaN(o.priority)) {
    if (Math.trunc(o.priority as number) !== o.priority) fail(`Priority should not be float (got priority ${show(o.priority)})`);
    if ((o.priority as number) > MAX_PRIORITY) fail(`Priority should be between 0 and ${MAX_PRIORITY} (got priority ${show(o.priority)})`);
  }
  checkDeduplication(o, rules.strict);
  if ('debounce' in o) fail(`Debounce option has been removed. Use deduplication option instead (got debounce ${show(o.debounce)})`);
  const backoff = o.backoff as { jitter?: unknown } | undefined;
  if (
    typeof backoff === 'object' &&
    backoff !== null &&
    typeof backoff.jitter === 'number' &&
    !(backoff.jitter >= 0 && backoff.jitter <= 1)
  ) {
    fail(`Jitter should be between 0 and 1 (got backoff.jitter ${show(backoff.jitter)})`);
  }
  if (rules.strict || customBackoffTypes.length > 0) checkBackoff(o.backoff, customBackoffTypes);
  if (rules.strict) checkStrictly(o);
}

const KNOWN_JOB_OPTIONS = new Set([
  'jobId',
  'delay',
  'priority',
  'lifo',
  'attempts',
  'backoff',
  'removeOnComplete',
  'removeOnFail',
  'keepLogs',
  'stackTraceLimit',
  'sizeLimit',
  'timestamp',
  'parent',
  ...PARENT_FLAGS,
  'telemetry',
  'deduplication',
  // written by job schedulers (BullMQ and ours) and read back as they are
  'repeat',
  'repeatJobKey',
  'prevMillis',
]);

/** Conveyor's checks beyond BullMQ's (QueueOptions.strictJobOptions): types, ranges, names. */
function checkStrictly(o: Record<string, unknown>): void {
  for (const key of Object.keys(o)) {
    if (o[key] !== undefined && !KNOWN_JOB_OPTIONS.has(key)) fail(`${key} is not a known job option (got ${show(o[key])})`);
  }
  if (o.delay !== undefined) checkInteger('delay', o.delay, 0);
  if (o.priority !== undefined) checkInteger('priority', o.priority, 0, MAX_PRIORITY);
  if (o.lifo !== undefined) checkBoolean('lifo', o.lifo);
  if (o.attempts !== undefined) checkInteger('attempts', o.attempts, 0);
  checkKeepJobs('removeOnComplete', o.removeOnComplete);
  checkKeepJobs('removeOnFail', o.removeOnFail);
  if (o.keepLogs !== undefined) checkInteger('keepLogs', o.keepLogs, 0);
  if (o.stackTraceLimit !== undefined) checkInteger('stackTraceLimit', o.stackTraceLimit, 0);
  if (o.sizeLimit !== undefined) checkInteger('sizeLimit', o.sizeLimit, 1);
  if (o.timestamp !== undefined) checkInteger('timestamp', o.timestamp, 0);
  checkJobTelemetry(o.telemetry);
  for (const f of PARENT_FLAGS) if (o[f] !== undefined) checkBoolean(f, o[f]);
  if (o.parent !== undefined) {
    const p = o.parent as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || !p.id || typeof p.queue !== 'string' || !p.queue) {
      fail(`parent must be { id: string, queue: '<prefix>:<queue>' }, got ${show(o.parent)}`);
    }
  }
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

/**
 * The backoff's shape, and its type among the built-in ones and the queue's customBackoffTypes.
 * BullMQ hands any type name to the worker's settings.backoffStrategy, so this runs only for a
 * queue that lists its custom types or asks for strictJobOptions.
 */
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

const DEDUPLICATION_FLAGS = ['extend', 'replace', 'keepLastIfActive', 'reschedule'] as const;
const DEDUPLICATION_KEYS = new Set(['id', 'ttl', ...DEDUPLICATION_FLAGS]);

/**
 * `deduplication`: BullMQ's two refusals (no id; together with a parent), and what its script
 * cannot take (an id that is neither a string nor a number, a ttl that is not a whole number of
 * ms: Redis refuses those half way through BullMQ's add). A ttl of 0 or less means none, as in
 * BullMQ. With `strict`, combinations where BullMQ silently drops one of the settings are refused
 * too, except ttl with keepLastIfActive, which BullMQ documents as ignored.
 */
export function checkDeduplication(opts: { deduplication?: unknown; parent?: unknown }, strict = false): void {
  const de = opts.deduplication;
  if (de) {
    if (!(de as { id?: unknown }).id) fail(`Deduplication id must be provided (got deduplication ${show(de)})`);
    if (opts.parent) {
      fail(`Deduplication and parent options cannot be used together (got deduplication ${show(de)} and parent ${show(opts.parent)})`);
    }
  }
  if (strict && de !== undefined && (typeof de !== 'object' || de === null || Array.isArray(de))) {
    fail(`deduplication must be { id, ttl?, extend?, replace?, keepLastIfActive?, reschedule? }, got ${show(de)}`);
  }
  if (!de) return;
  const d = de as Record<string, unknown>;
  if (typeof d.id !== 'string' && !(typeof d.id === 'number' && Number.isFinite(d.id) && !strict)) {
    fail(`deduplication.id must be a non-empty string, got ${show(d.id)}`);
  }
  if (d.ttl !== undefined && d.ttl !== null && (typeof d.ttl !== 'number' || !Number.isInteger(d.ttl))) {
    fail(`deduplication.ttl must be an integer, got ${show(d.ttl)}`);
  }
  if (!strict) return;
  for (const key of Object.keys(d)) {
    if (d[key] !== undefined && !DEDUPLICATION_KEYS.has(key)) {
      fail(`deduplication.${key} is not a known option (${[...DEDUPLICATION_KEYS].join(', ')}), got ${show(d[key])}`);
    }
  }
  if (d.ttl !== undefined) checkInteger('deduplication.ttl', d.ttl, 1);
  for (const flag of DEDUPLICATION_FLAGS) if (d[flag] !== undefined) checkBoolean(`deduplication.${flag}`, d[flag]);
  if (d.extend === true && d.ttl === undefined)
    fail(`deduplication.extend needs deduplication.ttl (the window it extends), got ${show(de)}`);
  if (d.replace === true && d.reschedule === true) {
    fail(
      `deduplication.replace and deduplication.reschedule exclude each other (one replaces the delayed owner, the other moves it), got ${show(de)}`,
    );
  }
}

/**
 * The job option `telemetry`: { metadata?: string, omitContext?: boolean }. BullMQ takes any
 * value (and stores only those two fields): the add path calls this only with strictJobOptions.
 */
export function checkJobTelemetry(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(`telemetry must be { metadata?, omitContext? }, got ${show(value)}`);
  const t = value as Record<string, unknown>;
  for (const key of Object.keys(t)) {
    if (t[key] !== undefined && key !== 'metadata' && key !== 'omitContext') {
      fail(`telemetry.${key} is not a known option (metadata, omitContext), got ${show(t[key])}`);
    }
  }
  if (t.metadata !== undefined && typeof t.metadata !== 'string') fail(`telemetry.metadata must be a string, got ${show(t.metadata)}`);
  if (t.omitContext !== undefined) checkBoolean('telemetry.omitContext', t.omitContext);
}

/**
 * Serialises job data. Data JSON cannot hold (circular, BigInt) is refused with JSON's own error
 * (BullMQ's text: it is what BullMQ throws). Data JSON leaves out (undefined, a function) is stored
 * as `{}`, as BullMQ reads it back; with `strict` a function or symbol is refused. Over `sizeLimit`
 * (a falsy limit is none, as in BullMQ): BullMQ's text.
 */
export function serializeData(data: unknown, jobName: unknown, sizeLimit?: unknown, strict = false): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    fail(`${(err as Error).message} (data of job ${show(jobName)} cannot be serialized to JSON)`);
  }
  if (json === undefined) {
    if (strict && data !== undefined) fail(`data of job ${show(jobName)} cannot be serialized to JSON: got ${show(data)}`);
    json = '{}';
  }
  if (sizeLimit) {
    const size = Buffer.byteLength(json);
    if (size > (sizeLimit as number))
      fail(`The size of job ${String(jobName)} exceeds the limit ${String(sizeLimit)} bytes (its data is ${size} bytes)`);
  }
  return json;
}
