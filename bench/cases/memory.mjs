// @ts-check
// Redis memory held by waiting jobs: INFO used_memory before the producer connects and after it
// added N jobs with addBulk and closed, scaled to 100,000 jobs. Includes the job hashes, the wait
// list, the id counter and the events stream (capped near 10,000 entries by both engines, so a
// small N overstates it); not the producer's connection buffers.
import { addInBulk } from './case.mjs';

const PER = 100_000;

/** @type {import('./case.mjs').BenchCase} */
export const memoryPerWaitingJobs = {
  id: 'memory',
  title: 'Redis memory, 100k waiting jobs',
  what: 'INFO used_memory delta over adding N jobs `{ i }` (addBulk) and closing the producer, scaled to 100,000 jobs',
  fullN: 100_000,
  quickN: 2_000,
  metrics: [{ key: 'mb', label: 'used_memory per 100k', unit: 'MB', better: 'lower' }],
  async run({ side, admin, scope, n }) {
    const before = await admin.waitForMemoryToSettle();
    const queue = scope.track(side.queue(scope.queueName()));
    await queue.waitUntilReady();
    await addInBulk(queue, 0, n);
    await queue.close();
    const after = await admin.waitForMemoryToSettle();
    return { values: { mb: ((after - before) * PER) / n / 1e6 } };
  },
};
