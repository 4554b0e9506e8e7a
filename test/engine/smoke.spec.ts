import { Queue, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection, uniqueName } from '../support/redis.js';

describe('engine smoke', () => {
  it('adds jobs and a worker completes them in order', async () => {
    const name = uniqueName();
    const queue = new Queue(name, { connection: connection() });
    const seen: string[] = [];
    const worker = new Worker(
      name,
      async (job) => {
        seen.push(job.data.n);
        return { doubled: job.data.n * 2 };
      },
      { connection: connection() },
    );
    try {
      const done = times(worker, 'completed', 3);
      await queue.add('a', { n: 1 });
      await queue.addBulk([
        { name: 'b', data: { n: 2 } },
        { name: 'c', data: { n: 3 } },
      ]);
      const completed = await done;
      expect(seen).toEqual([1, 2, 3]);
      expect(completed.map(([, result]) => result)).toEqual([{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]);
      const job = await queue.getJob(completed[0][0].id);
      expect(job?.returnvalue).toEqual({ doubled: 2 });
      expect(await job?.getState()).toBe('completed');
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
