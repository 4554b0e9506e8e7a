// @ts-check
// Producer throughput: add one at a time, add with 100 in flight, addBulk in batches of 1,000.
import { addInBulk, JOB_NAME, measured, THROUGHPUT_METRICS, throughput } from './case.mjs';

/** Adds before the measured region: connection, queue meta and script cache are warm. */
const WARM_UP_ADDS = 50;
const IN_FLIGHT = 100;

/**
 * @param {import('./case.mjs').CaseContext} ctx
 * @param {(queue: import('../sides.mjs').BenchQueue, n: number) => Promise<void>} addAll
 * @returns {Promise<import('./case.mjs').Measurement>}
 */
async function measureAdds(ctx, addAll) {
  const { side, scope, n } = ctx;
  const queue = scope.track(side.queue(scope.queueName()));
  await queue.waitUntilReady();
  for (let i = 0; i < WARM_UP_ADDS; i++) await queue.add(JOB_NAME, { i: -1 });
  return throughput(await measured(ctx, () => addAll(queue, n)), n);
}

/** @type {import('./case.mjs').BenchCase} */
export const addOneAtATime = {
  id: 'add',
  title: 'add, one at a time',
  what: 'N sequential `queue.add()` calls, each awaited before the next',
  fullN: 5_000,
  quickN: 200,
  metrics: THROUGHPUT_METRICS,
  commandsPer: 'added job',
  run: (ctx) =>
    measureAdds(ctx, async (queue, n) => {
      for (let i = 0; i < n; i++) await queue.add(JOB_NAME, { i });
    }),
};

/** @type {import('./case.mjs').BenchCase} */
export const addInFlight = {
  id: 'add-100',
  title: `add, ${IN_FLIGHT} in flight`,
  what: `N \`queue.add()\` calls with ${IN_FLIGHT} outstanding at any time`,
  fullN: 20_000,
  quickN: 500,
  metrics: THROUGHPUT_METRICS,
  commandsPer: 'added job',
  run: (ctx) =>
    measureAdds(ctx, async (queue, n) => {
      let next = 0;
      const lane = async () => {
        while (next < n) await queue.add(JOB_NAME, { i: next++ });
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n) }, lane));
    }),
};

/** @type {import('./case.mjs').BenchCase} */
export const addBulk = {
  id: 'bulk',
  title: 'addBulk, batches of 1,000',
  what: 'N jobs in sequential `queue.addBulk()` calls of 1,000 jobs',
  fullN: 50_000,
  quickN: 2_000,
  metrics: THROUGHPUT_METRICS,
  commandsPer: 'added job',
  run: (ctx) => measureAdds(ctx, (queue, n) => addInBulk(queue, 0, n)),
};
