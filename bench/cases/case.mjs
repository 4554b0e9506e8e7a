// @ts-check
// What a benchmark case is, and the measured region every case times.
import { performance } from 'node:perf_hooks';
import { commandDelta } from '../redis-admin.mjs';

/**
 * @typedef {{ key: string, label: string, unit: string, better: 'higher' | 'lower' }} Metric
 * @typedef {{
 *   values: Record<string, number>,
 *   commands?: import('../redis-admin.mjs').CommandDelta,
 *   jobs?: number,
 * }} Measurement  `commands` over the measured region; `jobs` it divides them by
 * @typedef {{
 *   side: import('../sides.mjs').Side,
 *   admin: import('../redis-admin.mjs').RedisAdmin,
 *   scope: import('../scope.mjs').Scope,
 *   n: number,
 *   rate: number,
 *   steadyConcurrency: number,
 *   idleMs: number,
 * }} CaseContext
 * @typedef {{
 *   id: string,
 *   title: string,
 *   what: string,
 *   fullN: number,
 *   quickN: number,
 *   metrics: Metric[],
 *   commandsPer?: string,
 *   run(ctx: CaseContext): Promise<Measurement>,
 * }} BenchCase  `commandsPer` names what the command counts are per ("added job", …)
 */

/** The job name every case adds. */
export const JOB_NAME = 'bench';

/** Jobs per addBulk call (the batch size). */
export const BULK_SIZE = 1000;

/**
 * Times `fn` and counts the Redis commands run meanwhile (INFO commandstats before and after).
 * @param {import('../redis-admin.mjs').RedisAdmin} admin
 * @param {() => Promise<void>} fn
 */
export async function measured(admin, fn) {
  const before = await admin.commandCounts();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const commands = commandDelta(before, await admin.commandCounts());
  return { ms, commands };
}

/**
 * Adds jobs `from`..`to`-1 with data `{ i }`, in addBulk batches of BULK_SIZE.
 * @param {import('../sides.mjs').BenchQueue} queue
 * @param {number} from
 * @param {number} to
 */
export async function addInBulk(queue, from, to) {
  for (let start = from; start < to; start += BULK_SIZE) {
    const end = Math.min(to, start + BULK_SIZE);
    const jobs = [];
    for (let i = start; i < end; i++) jobs.push({ name: JOB_NAME, data: { i } });
    await queue.addBulk(jobs);
  }
}

/** @param {number} jobs  @param {number} ms */
export const perSecond = (jobs, ms) => (jobs * 1000) / ms;
