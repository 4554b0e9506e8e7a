// @ts-check
// Redis memory held by waiting jobs: INFO used_memory before and after adding N jobs with
// addBulk, scaled to 100,000 jobs. Includes the job hashes, the wait list, the id counter and the
// events stream (capped near 10,000 entries by both engines, so a small N overstates it).
import { addInBulk } from './case.mjs';

const PER = 100_000;

/** @type {import('./case.mjs').BenchCase} */
export const memoryPerWaitingJobs = {
  id: 'memory',
  title: 'Redis memory, 100k waiting jobs',
  what: 'INFO used_memory delta after adding N jobs `{ i }` (addBulk), scaled to 100,000 jobs',
  fullN: 100_000,
  quickN: 2_000,
  metrics: [{ key: 'mb', label: 'used_memory per 100k', unit: 'MB', better: 'lower' }],
  async run({ side, admin, scope, n }) {
    const queue = scope.track(side.queue(scope.queueName()));
    await queue.waitUntilReady();
    const before = await admin.usedMemory();
    await addInBulk(queue, 0, n);
    const after = await admin.usedMemory();
    return { values: { mb: ((after - before) * PER) / n / 1e6 } };
  },
};
