// @ts-check
// Worker throughput on a pre-loaded queue: N no-op jobs are waiting before the worker starts;
// the clock runs from worker.run() to the N-th `completed`.
import { Countdown } from '../waiting.mjs';
import { addInBulk, measured, perSecond } from './case.mjs';

/**
 * @param {number} concurrency
 * @param {number} fullN
 * @param {number} quickN
 * @returns {import('./case.mjs').BenchCase}
 */
function processCase(concurrency, fullN, quickN) {
  return {
    id: `process-${concurrency}`,
    title: `process, concurrency ${concurrency}`,
    what: `N pre-loaded no-op jobs, one worker with concurrency ${concurrency}; worker start to last completion`,
    fullN,
    quickN,
    metrics: [{ key: 'rate', label: 'throughput', unit: 'jobs/s', better: 'higher' }],
    commandsPer: 'processed job',
    async run({ side, admin, scope, n, idleMs }) {
      const name = scope.queueName();
      const queue = scope.track(side.queue(name));
      await queue.waitUntilReady();
      await addInBulk(queue, 0, n);

      const worker = scope.track(side.worker(name, async () => undefined, concurrency));
      const done = new Countdown(n, 'completed jobs', idleMs, () => scope.lastError);
      worker.on('completed', () => done.tick());
      worker.on('failed', (/** @type {unknown} */ _job, /** @type {Error} */ err) => done.fail(`a no-op job failed: ${err?.message}`));
      await worker.waitUntilReady();
      try {
        const { ms, commands } = await measured(admin, async () => {
          worker.run().catch((err) => done.fail(`worker.run() rejected: ${err?.message ?? err}`));
          await done.promise;
        });
        return { values: { rate: perSecond(n, ms) }, commands, jobs: n };
      } finally {
        done.cancel();
      }
    },
  };
}

export const processConcurrency1 = processCase(1, 10_000, 300);
export const processConcurrency10 = processCase(10, 50_000, 500);
export const processConcurrency100 = processCase(100, 50_000, 500);
