import { ConveyorValidationError } from '../core/errors.js';
import type { JobsOptions } from '../core/job-options.js';
import { show } from '../core/show.js';
import { decodeStoredOptions, encodeStoredOptions } from '../core/stored-options.js';
import type { JobHash } from './job-hash.js';

/**
 * A fetched job as `job.moveToCompleted`/`moveToFailed` hand it over (BullMQ's shape, observed on
 * 6.7: numbers as numbers, `opts` and `progress` decoded, `data`, `returnvalue` and `stacktrace`
 * still JSON text). `Job.fromJSON(worker, jobData, jobId)` makes a Job of it.
 */
export interface JobJsonRaw {
  name: string;
  data: string;
  opts: Record<string, unknown>;
  progress: number | object;
  delay: number;
  priority: number;
  timestamp: number;
  attemptsStarted: number;
  attemptsMade: number;
  stalledCounter: number;
  processedOn?: number;
  finishedOn?: number;
  processedBy?: string;
  failedReason?: string;
  stacktrace?: string;
  returnvalue?: string;
  parentKey?: string;
  parent?: Record<string, unknown>;
  repeatJobKey?: string;
  deduplicationId?: string;
  deferredFailure?: string;
}

const NUMERIC_FIELDS: Record<string, keyof JobJsonRaw> = {
  delay: 'delay',
  priority: 'priority',
  timestamp: 'timestamp',
  ats: 'attemptsStarted',
  atm: 'attemptsMade',
  stc: 'stalledCounter',
  processedOn: 'processedOn',
  finishedOn: 'finishedOn',
};
const RENAMED_FIELDS: Record<string, keyof JobJsonRaw> = {
  pb: 'processedBy',
  rjk: 'repeatJobKey',
  deid: 'deduplicationId',
  defa: 'deferredFailure',
};
const TEXT_FIELDS = new Set(['name', 'data', 'failedReason', 'stacktrace', 'returnvalue', 'parentKey']);

function parseOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Job data from a job hash: HGETALL's flat array, or the hash by field. */
export function jobDataFromHash(hash: string[] | JobHash): JobJsonRaw {
  const out: Record<string, unknown> = { progress: 0, delay: 0, priority: 0, attemptsStarted: 0, attemptsMade: 0, stalledCounter: 0 };
  if (Array.isArray(hash)) {
    for (let i = 0; i < hash.length; i += 2) putField(out, hash[i], hash[i + 1]);
  } else {
    for (const field of Object.keys(hash)) putField(out, field, hash[field]);
  }
  out.opts ??= {};
  return out as unknown as JobJsonRaw;
}

function putField(out: Record<string, unknown>, field: string, value: string): void {
  if (field in NUMERIC_FIELDS) out[NUMERIC_FIELDS[field]] = Number(value);
  else if (field in RENAMED_FIELDS) out[RENAMED_FIELDS[field]] = value;
  else if (TEXT_FIELDS.has(field)) out[field] = value;
  else if (field === 'opts') out.opts = decodeStoredOptions(value);
  else if (field === 'progress') out.progress = parseOr(value, 0);
  else if (field === 'parent') out.parent = parseOr(value, undefined);
}

/** The way back: job data as a stored hash, so Job.fromJSON reads it as Job.fromHash does. */
export function hashFromJobData(json: JobJsonRaw): Record<string, string> {
  if (typeof json !== 'object' || json === null) throw new ConveyorValidationError(`job data must be an object, got ${show(json)}`);
  const hash: Record<string, string> = {};
  const source = json as unknown as Record<string, unknown>;
  for (const [field, name] of [...Object.entries(NUMERIC_FIELDS), ...Object.entries(RENAMED_FIELDS)]) {
    if (source[name] !== undefined && source[name] !== null) hash[field] = String(source[name]);
  }
  for (const field of TEXT_FIELDS) if (typeof source[field] === 'string') hash[field] = source[field] as string;
  if (json.opts) hash.opts = encodeStoredOptions(json.opts as JobsOptions);
  if (json.progress !== undefined) hash.progress = JSON.stringify(json.progress);
  if (json.parent) hash.parent = JSON.stringify(json.parent);
  return hash;
}
