// @ts-check
// What a benchmark case is, and the measured region every case times.
import { performance } from 'node:perf_hooks';
import { CPU_METRICS, cpuPerJob, nodeCpuUs, redisCpuUs, settle } from '../cpu.mjs';
import { commandDelta } from '../redis-admin.mjs';

/**
 * @typedef {{ key: string, label: string, unit: string, better: 'higher' | 'lower' }} Metric
 * @typedef {{
 *   values: Record<string, number>,
 *   commands?: import('../redis-admin.mjs').CommandDelta,
 *   jobs?: number,
 *   setupMs?: number,
 * }} Measurement  `commands` over the measured region; `jobs` it divides them by; `setupMs`: time of
 *   a long preparation before the region (the deep cases' fill), for the log
 * @typedef {{ ms: number, commands: import('../redis-admin.mjs').CommandDelta, cpu: import('../cpu.mjs').CpuDelta }} Region
 * @typedef {{
 *   side: import('../sides.mjs').Side,
 *   admin: import('../redis-admin.mjs').RedisAdmin,
 *   scope: import('../scope.mjs').Scope,
 *   n: number,
 *   rate: number,
 *   steadyConcurrency: number,
 *   depth: number,
 *   idleMs: number,
 *   profiler?: import('../profiler.mjs').RegionProfiler,
 * }} CaseContext  `depth`: jobs waiting in the deep cases; `profiler`: set by --profile
 * @typedef {{
 *   id: string,
 *   title: string,
 *   what: string,
 *   fullN: number,
 *   quickN: number,
 *   metrics: Metric[],
 *   commandsPer?: string,
 *   optIn?: boolean,
 *   run(ctx: CaseContext): Promise<Measurement>,
 * }} BenchCase  `commandsPer` names what the command counts are per ("added job", …); an `optIn`
 *   case runs only when --cases names it (or says "all")
 */

/** The job name every case adds. */
export const JOB_NAME = 'bench';

/** Jobs per addBulk call (the batch size). */
export const BULK_SIZE = 1000;

/**
 * Times `fn`, counts the Redis commands run meanwhile (INFO commandstats before and after) and the
 * CPU time of this process and of Redis; under --profile, profiles it. Node's clock and profiler
 * bracket `fn` alone; Redis's INFO calls bracket the commandstats snapshots, so neither snapshot
 * shows up in the other's delta.
 * @param {{ admin: import('../redis-admin.mjs').RedisAdmin, profiler?: import('../profiler.mjs').RegionProfiler }} ctx
 * @param {() => Promise<void>} fn
 * @returns {Promise<Region>}
 */
export async function measured({ admin, profiler }, fn) {
  const redisBefore = await redisCpuUs(admin);
  const before = await admin.commandCounts();
  settle();
  await profiler?.start();
  const nodeBefore = nodeCpuUs();
  const start = performance.now();
  let ms;
  let nodeUs;
  try {
    await fn();
  } finally {
    ms = performance.now() - start;
    nodeUs = nodeCpuUs() - nodeBefore;
    // a region that failed still ends the profile, so the next one can start
    await profiler?.stop();
  }
  const commands = commandDelta(before, await admin.commandCounts());
  const redisUs = (await redisCpuUs(admin)) - redisBefore;
  return { ms, commands, cpu: { nodeUs, redisUs } };
}

/** @type {Metric[]} */
export const THROUGHPUT_METRICS = [{ key: 'rate', label: 'throughput', unit: 'jobs/s', better: 'higher' }, ...CPU_METRICS];

/**
 * The measurement of a throughput case: jobs/s, CPU and commands per job.
 * @param {Region} region
 * @param {number} jobs
 * @returns {Measurement}
 */
export function throughput(region, jobs) {
  return { values: { rate: perSecond(jobs, region.ms), ...cpuPerJob(region.cpu, jobs) }, commands: region.commands, jobs };
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
