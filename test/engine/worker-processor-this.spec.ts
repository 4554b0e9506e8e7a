// A processor declared as a function runs with the worker as `this`, as bullmq calls it
// (worker.processFn(job, token, signal)): in the worker's own loop and in processJob alike.
import { Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('the processor’s this', () => {
  const scope = scopePerTest();

  /** A queue and a worker whose function processor records its `this` in `seen`. */
  function recordingThis(autorun: boolean) {
    const queue = scope.queue();
    const seen: unknown[] = [];
    const processor = async function (this: unknown) {
      seen.push(this);
      return 'ok';
    };
    const worker = scope.track(new Worker(queue.name, processor, { connection: connection(), autorun }));
    return { queue, worker, seen };
  }

  it('is the worker in its own loop', async () => {
    const { queue, worker, seen } = recordingThis(true);
    const completed = once(worker, 'completed');
    await queue.add('a', {});
    await completed;
    expect(seen).toEqual([worker]);
  });

  it('is the worker in processJob', async () => {
    const { queue, worker, seen } = recordingThis(false);
    await queue.add('a', {});
    const job = (await worker.getNextJob('tok')) as Job;
    await worker.processJob(job, 'tok', () => false);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(worker);
  });
});
