// Shared plumbing of the interop suite: real bullmq@6.7.0 and Conveyor on the same queues.
import type { Queue as BullQueue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connection } from '../support/redis.js';

/** bullmq wants maxRetriesPerRequest null on connections that block (Worker, QueueEvents). */
export function bullConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  return { ...connection(), maxRetriesPerRequest: null };
}

export { connection as conveyorConnection };

/**
 * bullmq's getJobCounts for any list of types: its v6 typings dropped the legacy `paused` type,
 * which it still answers for at run time (the v5 `paused` list).
 */
export function bullCounts(queue: BullQueue, ...types: string[]): Promise<Record<string, number>> {
  return (queue.getJobCounts as (...t: string[]) => Promise<Record<string, number>>).apply(queue, types);
}

/** The raw job hash. */
export async function rawJob(redis: Redis, queue: string, jobId: string, prefix = 'bull'): Promise<Record<string, string>> {
  return redis.hgetall(`${prefix}:${queue}:${jobId}`);
}

/**
 * What a job hash looks like with the values that legitimately differ between two runs (clock
 * values, stack texts) replaced by their encoding class, so two hashes can be compared as equals.
 */
export function hashShape(hash: Record<string, string>): Record<string, string> {
  const shape: Record<string, string> = {};
  for (const [field, value] of Object.entries(hash)) shape[field] = encodingOf(field, value);
  return shape;
}

const INT_FIELDS = new Set(['timestamp', 'delay', 'priority', 'processedOn', 'finishedOn', 'ats', 'atm', 'stc']);

function encodingOf(field: string, value: string): string {
  if (INT_FIELDS.has(field)) {
    if (!/^-?\d+$/.test(value)) return `NOT AN INTEGER: ${value}`;
    // clock values differ per run; small counters must match exactly
    return ['timestamp', 'processedOn', 'finishedOn'].includes(field) ? 'int(ms)' : `int ${value}`;
  }
  if (field === 'stacktrace') {
    const parsed = JSON.parse(value) as unknown;
    if (!Array.isArray(parsed) || parsed.some((s) => typeof s !== 'string')) return `NOT A JSON STRING ARRAY: ${value}`;
    // each entry is an error's stack: compare its first line (the message), not the frames
    return `json string[${parsed.length}] ${JSON.stringify(parsed.map((s) => s.split('\n')[0]))}`;
  }
  if (field === 'opts') return `json ${JSON.stringify(sortKeys(JSON.parse(value)))}`;
  if (['data', 'returnvalue', 'progress', 'parent'].includes(field)) return `json ${JSON.stringify(sortKeys(JSON.parse(value)))}`;
  return `raw ${value}`;
}

/** A deep copy with object keys sorted, so JSON from Lua cjson (arbitrary order) compares. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** What either engine's Queue reads back of a job, as the mirrored producer/worker tests check it. */
export interface ReadBackJob {
  returnvalue: unknown;
  attemptsMade: number;
  attemptsStarted: number;
  finishedOn?: number;
  failedReason?: string;
  stacktrace?: string[] | null;
  getState(): Promise<string>;
}

export interface JobReader {
  getJob(id: string): Promise<ReadBackJob | undefined | null>;
}

/** Each job the other engine's worker completed reads back completed, once, with its result. */
export async function expectCompletedOnce(producer: JobReader, completed: unknown[][]): Promise<void> {
  for (const [job] of completed as [{ id: string; name: string; data: { n: string } }][]) {
    const read = await producer.getJob(job.id);
    expect(read?.returnvalue).toEqual({ echo: job.data.n, name: job.name });
    expect(read?.attemptsMade).toBe(1);
    expect(read?.attemptsStarted).toBe(1);
    expect(typeof read?.finishedOn).toBe('number');
    expect(await read?.getState()).toBe('completed');
  }
}

/**
 * A job that failed twice ('boom 0', 'boom 1') with a fixed backoff of 300 ms, then completed:
 * three starts at least the backoff apart, and so it reads back.
 */
export async function expectThirdTimeLucky(producer: JobReader, jobId: string, starts: number[]): Promise<void> {
  expect(starts).toHaveLength(3);
  expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(300);
  expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(300);
  const read = await producer.getJob(jobId);
  expect(read?.returnvalue).toBe('third time lucky');
  expect(read?.attemptsMade).toBe(3);
  expect(read?.attemptsStarted).toBe(3);
  expect(read?.failedReason).toBe('boom 1');
  expect(read?.stacktrace).toHaveLength(2);
  expect(await read?.getState()).toBe('completed');
}
