// @ts-check
// CPU time spent over a measured region, on both sides of the wire: this Node process
// (process.cpuUsage(): every thread, so GC helpers and libuv's pool count too) and the Redis server
// (INFO cpu). Both engines run in this one process, one after the other, so the process's delta over
// a region belongs to the engine under test, provided nothing else runs in it: the cases finish their
// pre-loading before the region starts, and settle() collects its garbage first.
import v8 from 'node:v8';
import vm from 'node:vm';

/** @typedef {{ nodeUs: number, redisUs: number }} CpuDelta  microseconds over the region */

/**
 * Redis's CPU time so far (user + system, all its threads), in microseconds. INFO prints the
 * seconds with six decimals, so microseconds are exact.
 * @param {import('./redis-admin.mjs').RedisAdmin} admin
 */
export async function redisCpuUs(admin) {
  const info = await admin.info('cpu');
  const seconds = Number(info.used_cpu_user) + Number(info.used_cpu_sys);
  if (!Number.isFinite(seconds)) throw new Error('INFO cpu has no used_cpu_user/used_cpu_sys');
  return Math.round(seconds * 1e6);
}

/** This process's CPU time so far (user + system), in microseconds. */
export function nodeCpuUs() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** @type {(() => void) | undefined} */
let collect;

/**
 * A full garbage collection, so the garbage the pre-loading left is not collected (and charged)
 * inside the region. Works without --expose-gc: the flag is set at run time and the function
 * taken from a fresh context, where V8 installs it.
 */
export function settle() {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = /** @type {() => void} */ (vm.runInNewContext('gc'));
  }
  collect();
}

/**
 * Per-job figures of a region's CPU delta, under the keys of CPU_METRICS.
 * @param {CpuDelta} cpu
 * @param {number} jobs
 */
export function cpuPerJob(cpu, jobs) {
  return { nodeCpu: cpu.nodeUs / jobs, redisCpu: cpu.redisUs / jobs };
}

/** @type {import('./cases/case.mjs').Metric[]} */
export const CPU_METRICS = [
  { key: 'nodeCpu', label: 'Node CPU per job', unit: 'µs', better: 'lower' },
  { key: 'redisCpu', label: 'Redis CPU per job', unit: 'µs', better: 'lower' },
];
