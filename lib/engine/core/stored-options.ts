import type { BackoffOptions, JobsOptions, KeepJobs } from './job-options.js';

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
    // BullMQ stores no null or undefined option, at any depth of an object
    if (value === undefined || value === null) continue;
    if (key === 'telemetry') {
      // BullMQ stores these two fields of it, and nothing for a telemetry that is not an object
      if (typeof value !== 'object') continue;
      const t = value as { metadata?: string; omitContext?: boolean };
      if (t.metadata !== undefined && t.metadata !== null) out.tm = t.metadata;
      if (t.omitContext !== undefined && t.omitContext !== null) out.omc = t.omitContext;
      continue;
    }
    out[ABBREVIATIONS[key] ?? key] = withoutNulls(key === 'backoff' ? normalizeBackoff(value as number | BackoffOptions) : value);
  }
  if (out.attempts === undefined) out.attempts = 0;
  return JSON.stringify(out);
}

/** Objects without their null and undefined fields, at any depth (array items stay as they are, objects in them are cleaned). */
function withoutNulls(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined && field !== null) out[key] = withoutNulls(field);
  return out;
}

export function decodeStoredOptions(json: string | undefined): JobsOptions {
  if (!json) return {};
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json);
  } catch {
    return {};
  }
  // for..in rather than Object.entries: this runs for every job a worker takes. Usually no key is
  // abbreviated: the parsed object is the answer as it is
  let renames = false;
  for (const key in raw) {
    if (EXPANSIONS.has(key) || key === 'tm' || key === 'omc' || key === '__proto__') {
      renames = true;
      break;
    }
  }
  if (!renames && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return raw as JobsOptions;
  const out: Record<string, unknown> = {};
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

const KEEP_ALL = Object.freeze([-1, 0, 1000] as const);
const KEEP_NONE = Object.freeze([0, 0, 1000] as const);

/**
 * keepJobs as the finish script takes it: count (-1 = all), age in s (0 = none), limit. The usual
 * settings (keep all, keep none) give the same frozen triple each time: one allocation less per
 * finished job.
 */
export function keepJobsArgs(keep: KeepJobs | undefined): readonly [number, number, number] {
  if (keep === undefined || keep === false) return KEEP_ALL;
  if (keep === true) return KEEP_NONE;
  if (typeof keep === 'number') return [keep, 0, 1000];
  return [keep.count ?? -1, keep.age ?? 0, keep.limit ?? 1000];
}
