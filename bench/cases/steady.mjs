// @ts-check
// Steady load: a producer adds at a fixed offered rate while one worker processes, in the same
// process. Latency runs from the moment each add was due (not when it was sent, so a producer that
// falls behind shows up as latency) to that job's `completed`.
import { performance } from 'node:perf_hooks';
import { CPU_METRICS, cpuPerJob } from '../cpu.mjs';
import { blockingClientName } from '../sides.mjs';
import { percentile } from '../stats.mjs';
import { Countdown, sleep } from '../waiting.mjs';
import { JOB_NAME, measured, perSecond } from './case.mjs';

/** @type {import('./case.mjs').BenchCase} */
export const steadyLoad = {
  id: 'steady',
  title: 'steady load',
  what: 'N jobs offered at a fixed rate (--rate) to one worker (--steady-concurrency) while adds go on; add-to-completion latency',
  fullN: 10_000,
  quickN: 300,
  metrics: [
    { key: 'p50', label: 'latency p50', unit: 'ms', better: 'lower' },
    { key: 'p99', label: 'latency p99', unit: 'ms', better: 'lower' },
    { key: 'rate', label: 'completed', unit: 'jobs/s', better: 'higher' },
    ...CPU_METRICS,
  ],
  commandsPer: 'job (add + process)',
  async run(ctx) {
    const { side, admin, scope, n, rate, steadyConcurrency, idleMs } = ctx;
    const name = scope.queueName();
    const queue = scope.track(side.queue(name));
    const worker = scope.track(side.worker(name, async () => undefined, steadyConcurrency));
    const dueAt = new Float64Array(n);
    const latency = new Float64Array(n);
    const done = new Countdown(n, 'completed jobs', idleMs, () => scope.lastError);
    worker.on('completed', (/** @type {import('../sides.mjs').BenchJob} */ job) => {
      latency[job.data.i] = performance.now() - dueAt[job.data.i];
      done.tick();
    });
    worker.on('failed', (/** @type {unknown} */ _job, /** @type {Error} */ err) => done.fail(`a no-op job failed: ${err?.message}`));
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    worker.run().catch((err) => done.fail(`worker.run() rejected: ${err?.message ?? err}`));
    await admin.waitUntilBlocked(blockingClientName(name), idleMs);

    try {
      const intervalMs = 1000 / rate;
      const { ms, commands, cpu } = await measured(ctx, async () => {
        const start = performance.now();
        let sent = 0;
        while (sent < n) {
          // send every add that is due by now, then yield; adds are not awaited (open loop)
          const due = Math.min(n, Math.floor((performance.now() - start) / intervalMs) + 1);
          for (; sent < due; sent++) {
            dueAt[sent] = start + sent * intervalMs;
            queue.add(JOB_NAME, { i: sent }).catch((err) => done.fail(`add failed: ${err?.message ?? err}`));
          }
          if (sent < n) await sleep(Math.max(0, dueAt[sent - 1] + intervalMs - performance.now()));
        }
        await done.promise;
      });
      const samples = Array.from(latency);
      return {
        values: { p50: percentile(samples, 50), p99: percentile(samples, 99), rate: perSecond(n, ms), ...cpuPerJob(cpu, n) },
        commands,
        jobs: n,
      };
    } finally {
      done.cancel();
    }
  },
};
