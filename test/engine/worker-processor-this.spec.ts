// A processor declared as a function runs with the worker as `this`, as bullmq calls it
// (worker.processFn(job, token, signal)): in the worker's own loop and in processJob alike.
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection } from '../support/redis.js';
import { Scope } from '../support/scope.js';

describe('the processor’s this', () => {
  let scope: Scope;
  beforeEach(() => {
    scope = new Scope();
  });
  afterEach(async () => {
    await scope.close();
  });

  it('is the worker in its own loop', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const seen: unknown[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async function (this: unknown) {
          seen.push(this);
          return 'ok';
        },
        { connection: connection() },
      ),
    );
    const completed = once(worker, 'completed');
    await queue.add('a', {});
    await completed;
    expect(seen).toEqual([worker]);
  });

  it('is the worker in processJob', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const seen: unknown[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async function (this: unknown) {
          seen.push(this);
          return 'ok';
        },
        { connection: connection(), autorun: false },
      ),
    );
    await queue.add('a', {});
    const job = (await worker.getNextJob('tok')) as Job;
    await worker.processJob(job, 'tok', () => false);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(worker);
  });
});
