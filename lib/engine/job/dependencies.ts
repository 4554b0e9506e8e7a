import type { RedisClient } from '../connection/connection.js';
import { ConveyorValidationError, scriptError } from '../core/errors.js';
import { jobSubKey } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import type { Job } from './job.js';

/**
 * A parent's view of its children (wire-format §1.3, §7.13): `:processed` (child key → return
 * value), `:dependencies` (pending child keys), `:unsuccessful` (children that failed with
 * failParentOnFailure) and `:failed` (child key → reason, for failures the parent ignores).
 */

/** One page of one kind of child: where to start and about how many to return. */
export interface DependencyPage {
  /** @default 0 */
  cursor?: number;
  /** A hint for hash and set pages (Redis SCAN), exact for failed ones. @default 20 */
  count?: number;
}

/** BullMQ's name for a DependencyPage. */
export type DependencyOpts = DependencyPage;

export interface DependenciesOpts {
  processed?: DependencyPage;
  unprocessed?: DependencyPage;
  failed?: DependencyPage;
  ignored?: DependencyPage;
}

export interface Dependencies<ChildReturn = any> {
  /** Completed children: child key → return value. */
  processed?: Record<string, ChildReturn>;
  /** Children still pending: child keys. */
  unprocessed?: string[];
  /** Children that failed with failParentOnFailure: child keys. */
  failed?: string[];
  /** Failures the parent ignores (ignoreDependencyOnFailure, continueParentOnFailure): child key → reason. */
  ignored?: Record<string, string>;
  /** Next cursor of each page asked for; 0 = no more. */
  nextProcessedCursor?: number;
  nextUnprocessedCursor?: number;
  nextFailedCursor?: number;
  nextIgnoredCursor?: number;
}

export interface DependenciesCountOpts {
  processed?: boolean;
  unprocessed?: boolean;
  failed?: boolean;
  ignored?: boolean;
}

export type DependenciesCount = Partial<Record<'processed' | 'unprocessed' | 'failed' | 'ignored', number>>;

export const DEFAULT_DEPENDENCY_PAGE = 20;

const KINDS = ['processed', 'unprocessed', 'failed', 'ignored'] as const;
type Kind = (typeof KINDS)[number];

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

function checkKnownKeys(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object, got ${show(value)}`);
  for (const key of Object.keys(value)) {
    if (!(KINDS as readonly string[]).includes(key)) fail(`${name}.${key} is not a known option (${KINDS.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** HGETALL-style flat array → object, values optionally parsed as JSON. */
function pairs<T>(flat: string[], parse: (v: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]] = parse(flat[i + 1]);
  return out;
}

async function execAll(client: RedisClient, build: (m: ReturnType<RedisClient['multi']>) => void): Promise<unknown[]> {
  const multi = client.multi();
  build(multi);
  const replies = (await multi.exec()) ?? [];
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** The return values of a parent's completed children, by child key. */
export async function readChildrenValues(client: RedisClient, jobKey: string): Promise<Record<string, unknown>> {
  const flat = await client.hgetall(jobSubKey(jobKey, 'processed'));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) out[key] = parseValue(value);
  return out;
}

/** The reasons of children failures the parent ignored, by child key. */
export async function readIgnoredFailures(client: RedisClient, jobKey: string): Promise<Record<string, string>> {
  return client.hgetall(jobSubKey(jobKey, 'failed'));
}

/**
 * All children (no options, or none of the four kinds named), or one page of each kind named.
 * One MULTI, so the kinds are read at the same instant.
 */
export async function readDependencies(client: RedisClient, jobKey: string, opts?: DependenciesOpts): Promise<Dependencies> {
  const o = checkKnownKeys('getDependencies options', opts);
  const asked = KINDS.filter((k) => o[k] !== undefined);
  if (asked.length === 0) {
    const [processed, unprocessed, failed, ignored] = (await execAll(client, (m) => {
      m.hgetall(jobSubKey(jobKey, 'processed'));
      m.smembers(jobSubKey(jobKey, 'dependencies'));
      m.zrange(jobSubKey(jobKey, 'unsuccessful'), 0, -1);
      m.hgetall(jobSubKey(jobKey, 'failed'));
    })) as [Record<string, string>, string[], string[], Record<string, string>];
    const parsed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(processed)) parsed[key] = parseValue(value);
    return { processed: parsed, unprocessed, failed, ignored };
  }
  const pages = new Map<Kind, { cursor: number; count: number }>();
  for (const kind of asked) {
    const page = o[kind];
    if (typeof page !== 'object' || page === null || Array.isArray(page)) {
      fail(`getDependencies options.${kind} must be { cursor?, count? }, got ${show(page)}`);
    }
    const { cursor = 0, count = DEFAULT_DEPENDENCY_PAGE, ...rest } = page as DependencyPage & Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) fail(`getDependencies options.${kind}.${extra} is not a known option (cursor, count)`);
    checkInteger(`getDependencies options.${kind}.cursor`, cursor, 0);
    checkInteger(`getDependencies options.${kind}.count`, count, 1);
    pages.set(kind, { cursor, count });
  }
  const replies = await execAll(client, (m) => {
    for (const [kind, { cursor, count }] of pages) {
      if (kind === 'processed') m.hscan(jobSubKey(jobKey, 'processed'), cursor, 'COUNT', count);
      if (kind === 'unprocessed') m.sscan(jobSubKey(jobKey, 'dependencies'), cursor, 'COUNT', count);
      if (kind === 'ignored') m.hscan(jobSubKey(jobKey, 'failed'), cursor, 'COUNT', count);
      if (kind === 'failed') {
        // a sorted set has no SCAN order guarantee worth having: page by rank instead
        m.zrange(jobSubKey(jobKey, 'unsuccessful'), cursor, cursor + count - 1);
        m.zcard(jobSubKey(jobKey, 'unsuccessful'));
      }
    }
  });
  const out: Dependencies = {};
  let i = 0;
  for (const [kind, { cursor, count }] of pages) {
    if (kind === 'failed') {
      const members = replies[i++] as string[];
      const total = replies[i++] as number;
      out.failed = members;
      out.nextFailedCursor = cursor + count < total ? cursor + count : 0;
      continue;
    }
    const [next, flat] = replies[i++] as [string, string[]];
    if (kind === 'processed') {
      out.processed = pairs(flat, parseValue);
      out.nextProcessedCursor = Number(next);
    } else if (kind === 'ignored') {
      out.ignored = pairs(flat, (v) => v);
      out.nextIgnoredCursor = Number(next);
    } else {
      out.unprocessed = flat;
      out.nextUnprocessedCursor = Number(next);
    }
  }
  return out;
}

/** How many children of each kind (all four unless some are named with `true`). */
export async function countDependencies(client: RedisClient, jobKey: string, opts?: DependenciesCountOpts): Promise<DependenciesCount> {
  const o = checkKnownKeys('getDependenciesCount options', opts);
  for (const kind of KINDS) {
    if (o[kind] !== undefined && typeof o[kind] !== 'boolean')
      fail(`getDependenciesCount options.${kind} must be a boolean, got ${show(o[kind])}`);
  }
  const named = KINDS.filter((k) => o[k] === true);
  const kinds = KINDS.some((k) => o[k] !== undefined) ? named : [...KINDS];
  if (kinds.length === 0) return {};
  const replies = (await execAll(client, (m) => {
    for (const kind of kinds) {
      if (kind === 'processed') m.hlen(jobSubKey(jobKey, 'processed'));
      if (kind === 'unprocessed') m.scard(jobSubKey(jobKey, 'dependencies'));
      if (kind === 'failed') m.zcard(jobSubKey(jobKey, 'unsuccessful'));
      if (kind === 'ignored') m.hlen(jobSubKey(jobKey, 'failed'));
    }
  })) as number[];
  const out: DependenciesCount = {};
  kinds.forEach((kind, i) => {
    out[kind] = replies[i];
  });
  return out;
}

/** Pending children looked at per script call of removeUnprocessedChildren. */
const REMOVE_UNPROCESSED_PAGE = 1000;

/**
 * Removes a parent's children that have not run yet (each with its own children), page by page
 * so Redis keeps serving others in between; completed, failed, active and locked ones stay.
 */
export async function removeUnprocessedChildren(client: RedisClient, jobKey: string, queueBase: string, jobId: string): Promise<void> {
  let cursor = '0';
  do {
    cursor = String(
      await runScript(client, 'removeUnprocessedChildren', [jobKey], [queueBase, jobId, Date.now(), cursor, REMOVE_UNPROCESSED_PAGE]),
    );
  } while (cursor !== '0');
}

/**
 * `job.removeChildDependency()`: detaches a pending child from its parent; false when it was not a
 * pending dependency.
 */
export async function detachFromParent(job: Job): Promise<boolean> {
  const client = await job.queue.client;
  const reply = Number(await runScript(client, 'removeChildDependency', [job.key], [Date.now()]));
  // BullMQ names the parent key (the text says "undefined" for a job without a parent)
  if (reply < 0) throw scriptError(reply, job.id, 'removeChildDependency', undefined, String(job.parentKey));
  const detached = reply === 0;
  if (detached) {
    job.parentKey = undefined;
    job.parent = undefined;
  }
  return detached;
}
