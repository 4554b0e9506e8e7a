// @ts-check
// Pickup latency on an idle queue: the worker is idle and blocked on its marker, one job is added,
// and the clock runs from the add() call to the processor's first line. Each sample waits until
// the worker is blocked again, so every sample starts from the same idle state.
import { performance } from 'node:perf_hooks';
import { blockingClientName } from '../sides.mjs';
import { percentile } from '../stats.mjs';
import { withTimeout } from '../waiting.mjs';
import { JOB_NAME } from './case.mjs';

/** Samples taken first and thrown away (connections, script cache, JIT). */
const WARM_UP_SAMPLES = 3;

/** @type {import('./case.mjs').BenchCase} */
export const pickupLatency = {
  id: 'pickup',
  title: 'pickup latency, idle queue',
  what: 'N samples: worker blocked on an empty queue, add one job, time to processor start',
  fullN: 200,
  quickN: 10,
  metrics: [
    { key: 'p50', label: 'pickup p50', unit: 'ms', better: 'lower' },
    { key: 'p99', label: 'pickup p99', unit: 'ms', better: 'lower' },
  ],
  async run({ side, admin, scope, n, idleMs }) {
    const name = scope.queueName();
    const queue = scope.track(side.queue(name));
    /** @type {(at: number) => void} */
    let onStart = () => {};
    /** @type {() => void} */
    let onCompleted = () => {};
    /** @type {(err: Error) => void} */
    let onFailure = () => {};
    const worker = scope.track(
      side.worker(
        name,
        async () => {
          onStart(performance.now());
        },
        1,
      ),
    );
    worker.on('completed', () => onCompleted());
    worker.on('failed', (/** @type {unknown} */ _job, /** @type {Error} */ err) =>
      onFailure(new Error(`a no-op job failed: ${err?.message}`)),
    );
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    worker.run().catch((err) => onFailure(new Error(`worker.run() rejected: ${err?.message ?? err}`)));

    const clientName = blockingClientName(name);
    /** @type {number[]} */
    const samples = [];
    for (let s = 0; s < WARM_UP_SAMPLES + n; s++) {
      await admin.waitUntilBlocked(clientName, idleMs);
      /** @type {Promise<number>} */
      const started = new Promise((resolve, reject) => {
        onStart = resolve;
        onFailure = reject;
      });
      const completed = new Promise((resolve, reject) => {
        onCompleted = () => resolve(undefined);
        const failStart = onFailure;
        onFailure = (err) => {
          failStart(err);
          reject(err);
        };
      });
      // a failure while `started` is awaited must not count as an unhandled rejection here
      completed.catch(() => {});
      const t0 = performance.now();
      await queue.add(JOB_NAME, { i: s });
      const at = await withTimeout(started, idleMs, `pickup of sample ${s + 1}`);
      if (s >= WARM_UP_SAMPLES) samples.push(at - t0);
      await withTimeout(completed, idleMs, `completion of sample ${s + 1}`);
    }
    return { values: { p50: percentile(samples, 50), p99: percentile(samples, 99) } };
  },
};
