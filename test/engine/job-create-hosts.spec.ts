// Job.create / Job.createBulk with a host that is no Queue (BullMQ's Job.create takes any
// queue-like object, a Worker say): the one add path runs on the host's connection and keys, the
// jobs belong to the host, and the queue's default options stay out, as with a Queue.
import { Job, Queue, Worker } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('Job.create with a host that is no Queue', () => {
  const scope = scopePerTest();

  function idleWorker(name: string): Worker {
    return scope.track(new Worker(name, async () => 'done', { connection: connection(), autorun: false }));
  }

  it('adds through a Worker what a Queue adds, and the job belongs to the worker', async () => {
    const name = scope.name('create-host');
    const queue = scope.track(new Queue(name, { connection: connection(), defaultJobOptions: { attempts: 5 } }));
    const worker = idleWorker(name);
    const viaWorker = await Job.create(worker, 'w', { a: 1 }, { priority: 3, attempts: 2, timestamp: 1_000 });
    const viaQueue = await Job.create(queue, 'w', { a: 1 }, { priority: 3, attempts: 2, timestamp: 1_000 });
    expect(viaWorker).toBeInstanceOf(Job);
    expect(viaWorker.queue).toBe(worker);
    expect(viaWorker.opts).toEqual({ attempts: 2, priority: 3, timestamp: 1_000 });
    expect(await scope.redis.hgetall(`bull:${name}:${viaWorker.id}`)).toEqual(await scope.redis.hgetall(`bull:${name}:${viaQueue.id}`));
    expect(await queue.getJobCounts('prioritized')).toEqual({ prioritized: 2 });
  });

  it('createBulk through a Worker writes all jobs or none', async () => {
    const name = scope.name('create-host-bulk');
    const worker = idleWorker(name);
    const before = await snapshotQueue(scope.redis, name);
    await expect(
      Job.createBulk(worker, [
        { name: 'ok', data: {} },
        { name: 'bad', data: {}, opts: { priority: 1.5 } },
      ]),
    ).rejects.toThrow('Priority should not be float');
    expect(await snapshotQueue(scope.redis, name)).toEqual(before);
    const jobs = await Job.createBulk(worker, [
      { name: 'a', data: {} },
      { name: 'b', data: {}, opts: { jobId: 'custom-b' } },
    ]);
    expect(jobs.map((j) => j.id)).toEqual([expect.stringMatching(/^\d+$/), 'custom-b']);
    expect(jobs.every((j) => j.queue === worker)).toBe(true);
    expect(await scope.redis.lrange(`bull:${name}:wait`, 0, -1)).toEqual(['custom-b', jobs[0].id]);
  });

  it('refuses a first argument that is no queue-like object', async () => {
    await expect(Job.create({} as never, 'x', {})).rejects.toThrow(
      new TypeError('Job.create needs the Queue (or Worker) the job goes to as its first argument'),
    );
  });
});
