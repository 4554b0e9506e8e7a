// Options BullMQ takes as they come, and the add path now takes too, behave as in BullMQ once a
// worker has the job.
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('accepted job options, processed', () => {
  const scope = scopePerTest();

  it('attempts that are no number fail the job at its first failure; a numeric string counts', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = new Map<string, number>();
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          calls.set(job.name, (calls.get(job.name) ?? 0) + 1);
          throw new Error('boom');
        },
        { connection: connection() },
      ),
    );
    const noNumber = once<[Job]>(worker, 'failed', 10_000, (job) => job.name === 'no-number');
    await queue.add('no-number', {}, { attempts: 'x' as never });
    const [job] = await noNumber;
    expect(await job.getState()).toBe('failed');
    expect(calls.get('no-number')).toBe(1);

    const allThree = times<[Job]>(worker, 'failed', 3, 10_000, (j) => j.name === 'numeric-string');
    const added = await queue.add('numeric-string', {}, { attempts: '3' as never });
    await allThree;
    expect(await added.getState()).toBe('failed');
    expect(calls.get('numeric-string')).toBe(3);
  });
});
