// @ts-check
// Worker throughput on a pre-loaded queue: N no-op jobs are waiting before the worker starts;
// the clock runs from worker.run() to the N-th `completed`.
import { Countdown } from '../waiting.mjs';
import { addInBulk, measured, THROUGHPUT_METRICS, throughput } from './case.mjs';

/**
 * Starts one worker on queue `name`, whose jobs are already waiting, and measures the region from
 * worker.run() to the n-th completion.
 * @param {import('./case.mjs').CaseContext} ctx
 * @param {string} name
 * @param {number} concurrency
 * @param {number} n
 */
export async function processWaiting(ctx, name, concurrency, n) {
  const { side, scope, idleMs } = ctx;
  const worker = scope.track(side.worker(name, async () => undefined, concurrency));
  const done = new Countdown(n, 'completed jobs', idleMs, () => scope.lastError);
  worker.on('completed', () => done.tick());
  worker.on('failed', (/** @type {unknown} */ _job, /** @type {Error} */ err) => done.fail(`a no-op job failed: ${err?.message}`));
  await worker.waitUntilReady();
  try {
    const region = await measured(ctx, async () => {
      worker.run().catch((err) => done.fail(`worker.run() rejected: ${err?.message ?? err}`));
      await done.promise;
    });
    return throughput(region, n);
  } finally {
    done.cancel();
  }
}

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
    metrics: THROUGHPUT_METRICS,
    commandsPer: 'processed job',
    async run(ctx) {
      const name = ctx.scope.queueName();
      const queue = ctx.scope.track(ctx.side.queue(name));
      await queue.waitUntilReady();
      await addInBulk(queue, 0, ctx.n);
      return processWaiting(ctx, name, concurrency, ctx.n);
    },
  };
}

export const processConcurrency1 = processCase(1, 10_000, 300);
export const processConcurrency10 = processCase(10, 50_000, 500);
export const processConcurrency100 = processCase(100, 50_000, 500);
