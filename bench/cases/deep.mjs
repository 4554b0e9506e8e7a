// @ts-check
// Worker throughput on a deep queue: --depth jobs (default 1,000,000) waiting, of which the worker
// processes N. Shows what the fetch and finish cost when `wait` (or `prioritized`) and the keyspace
// are large rather than a few thousand entries. The fill (bench/fill.mjs) runs before the region.
import { performance } from 'node:perf_hooks';
import { fillQueue } from '../fill.mjs';
import { THROUGHPUT_METRICS } from './case.mjs';
import { processWaiting } from './process.mjs';

/** The priority every job of the prioritized variant gets (all the same: ZPOPMIN order = add order). */
const PRIORITY = 5;

/**
 * @param {{ concurrency: number, prioritized: boolean, optIn?: boolean }} how
 * @returns {import('./case.mjs').BenchCase}
 */
function deepCase({ concurrency, prioritized, optIn }) {
  const kind = prioritized ? `prioritized (priority ${PRIORITY})` : 'waiting';
  return {
    id: `deep-${prioritized ? 'prio-' : ''}${concurrency}`,
    title: `deep queue${prioritized ? ', prioritized' : ''}, concurrency ${concurrency}`,
    what:
      `--depth ${kind} no-op jobs (1,000,000 by default; filled before the region, see bench/fill.mjs), one worker with ` +
      `concurrency ${concurrency}; worker start to the N-th completion`,
    fullN: 50_000,
    quickN: 500,
    metrics: THROUGHPUT_METRICS,
    commandsPer: 'processed job',
    optIn,
    async run(ctx) {
      const { side, admin, scope, n, depth } = ctx;
      if (n > depth) throw new Error(`N (${n}) is more than the jobs waiting (--depth ${depth})`);
      const name = scope.queueName();
      const queue = scope.track(side.queue(name));
      await queue.waitUntilReady();
      const start = performance.now();
      await fillQueue(admin, queue, name, depth, prioritized ? { priority: PRIORITY } : {});
      const fillMs = performance.now() - start;
      return { ...(await processWaiting(ctx, name, concurrency, n)), setupMs: fillMs };
    },
  };
}

export const deepConcurrency100 = deepCase({ concurrency: 100, prioritized: false });
// opt-in: another fill per round for what process-10 and deep-100 mostly tell already
export const deepConcurrency10 = deepCase({ concurrency: 10, prioritized: false, optIn: true });
export const deepPrioritized100 = deepCase({ concurrency: 100, prioritized: true });
