// Queue.removeOrphanedJobs: job hashes and job sub-keys that no state holds are removed; jobs in
// any state, the queue's own keys and keys of other namespaces never are.
import { removeOrphans } from '../../lib/engine/queue/orphans.js';
import { ConveyorValidationError, FlowProducer, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { adminConnection, connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { processSome } from './queue-test-support.js';

const JOB_SUFFIXES = ['', ':logs', ':dependencies', ':processed', ':failed', ':unsuccessful', ':lock'];

describe('Queue.removeOrphanedJobs', () => {
  const scope = scopePerTest();

  const keysOf = async (name: string) =>
    Object.keys(await snapshotQueue(scope.redis, name))
      .map((k) => k.slice(`bull:${name}:`.length))
      .sort();

  it('removes orphaned hashes with every sub-key, and orphans left with sub-keys only', async () => {
    const queue = scope.queue();
    const base = `bull:${queue.name}:`;
    for (const id of ['9990', 'orphan-custom-id']) await scope.redis.hset(base + id, 'name', 'orphan', 'data', '{}');
    await scope.redis.hset(`${base}7777`, 'name', 'orphan');
    for (const suffix of JOB_SUFFIXES.slice(1)) await scope.redis.set(`${base}7777${suffix}`, 'x');
    await scope.redis.set(`${base}5555:logs`, 'x');
    await scope.redis.set(`${base}5555:lock`, 'x');
    const kept = await queue.add('kept', {}, { jobId: 'my-custom-job' });

    expect(await queue.removeOrphanedJobs()).toBe(4);
    expect(await keysOf(queue.name)).toEqual(['events', 'id', 'marker', 'meta', 'my-custom-job', 'wait']);
    expect(await queue.getJob(kept.id!)).toBeDefined();
    // nothing left: a second call finds nothing
    expect(await queue.removeOrphanedJobs()).toBe(0);
  });

  it('leaves jobs in every state alone: wait, active, completed, failed, delayed, prioritized, waiting-children, legacy paused', async () => {
    const queue = scope.queue();
    await processSome(scope, queue, { complete: 1, fail: 1, hold: 1 });
    await queue.add('w', {});
    await queue.add('d', {}, { delay: 60_000 });
    await queue.add('p', {}, { priority: 3 });
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    await flows.add({
      name: 'parent',
      queueName: queue.name,
      data: {},
      children: [{ name: 'c', queueName: scope.name('child'), data: {} }],
    });
    // a v5 queue's paused list (BullMQ 6 only reads it)
    await scope.redis.hset(`bull:${queue.name}:legacy`, 'name', 'legacy', 'data', '{}');
    await scope.redis.rpush(`bull:${queue.name}:paused`, 'legacy');
    await scope.redis.hset(`bull:${queue.name}:gone`, 'name', 'orphan');

    const before = await snapshotQueue(scope.redis, queue.name);
    expect(await queue.removeOrphanedJobs()).toBe(1);
    const after = await snapshotQueue(scope.redis, queue.name);
    delete before[`bull:${queue.name}:gone`];
    expect(after).toEqual(before);
  });

  it("never takes the queue's own keys, scheduler, deduplication or metrics keys, ids with a colon, or keys that are not hashes", async () => {
    const queue = scope.queue();
    const base = `bull:${queue.name}:`;
    await queue.add('job', {}, { jobId: 'a:b:c' });
    await scope.redis.set(`${base}repeat:some-repeat-id`, 'x');
    await scope.redis.hset(`${base}repeat:sch:1700000000000`, 'name', 'iteration');
    await scope.redis.set(`${base}de:some-dedup-id`, 'x');
    await scope.redis.hset(`${base}dn:some-dedup-id`, 'jid', '9');
    await scope.redis.hset(`${base}metrics:completed`, 'count', '1');
    await scope.redis.rpush(`${base}metrics:completed:data`, '1');
    await scope.redis.zadd(`${base}priority`, 1, 'old');
    await scope.redis.set(`${base}delay`, 'x');
    await scope.redis.hset(`${base}x:y`, 'name', 'two-part');
    await scope.redis.hset(`${base}meta:lock`, 'x', '1');
    // a key at a job's name that is not a hash, with a sub-key: not a job
    await scope.redis.set(`${base}plain`, 'x');
    await scope.redis.set(`${base}plain:lock`, 'x');
    // a queue whose prefix extends this one's: "bull:<name>" + queue "other"
    await scope.redis.hset(`${base}other:1`, 'name', 'job of another queue');
    await scope.redis.set(`${base}other:1:logs`, 'x');
    const before = await keysOf(queue.name);

    expect(await queue.removeOrphanedJobs()).toBe(0);
    expect(await keysOf(queue.name)).toEqual(before);
  });

  it('scans in steps of `count` and stops after `limit` removals', async () => {
    const queue = scope.queue();
    const base = `bull:${queue.name}:`;
    const pipeline = scope.redis.pipeline();
    for (let i = 0; i < 150; i++) pipeline.hset(`${base}orphan-${i}`, 'name', 'orphan', 'data', '{}');
    await pipeline.exec();
    await queue.add('real1', {});
    await queue.add('real2', {});

    expect(await queue.removeOrphanedJobs(10, 40)).toBe(40);
    expect(await queue.removeOrphanedJobs(10, 0)).toBe(110);
    expect(await queue.getJobCountByTypes('wait')).toBe(2);
    expect((await keysOf(queue.name)).filter((k) => k.startsWith('orphan-'))).toEqual([]);
  });

  it('judges long wait lists from a snapshot and, in calls of bounded work, still keeps every listed job', async () => {
    const queue = scope.queue();
    const base = `bull:${queue.name}:`;
    const ids = Array.from({ length: 300 }, (_, i) => `listed-${i}`);
    const pipeline = scope.redis.pipeline();
    for (const id of ids) pipeline.hset(base + id, 'name', 'listed', 'data', '{}');
    pipeline.lpush(`${base}wait`, ...ids);
    for (let i = 0; i < 20; i++) pipeline.hset(`${base}orphan-${i}`, 'name', 'orphan');
    await pipeline.exec();
    await queue.add('late', {});

    // snapshot taken whatever the length, and one list scan per script call
    expect(await removeOrphans(await queue.client, queue.keys, 50, 0, { snapshotAbove: -1, budget: 1 })).toBe(20);
    // no snapshot, same budget: every candidate is judged by its own call
    await scope.redis.hset(`${base}orphan-x`, 'name', 'orphan');
    expect(await removeOrphans(await queue.client, queue.keys, 50, 0, { snapshotAbove: 1_000_000, budget: 1 })).toBe(1);
    expect(await queue.getWaitingCount()).toBe(301);
    expect((await keysOf(queue.name)).filter((k) => k.startsWith('listed-'))).toHaveLength(300);
  });

  it('runs alongside a busy worker without taking any of its jobs (each job is judged atomically)', async () => {
    const queue = scope.queue();
    const total = 300;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'job', data: { i } })));
    const worker = scope.track(new Worker(queue.name, async (job: Job) => job.data.i, { connection: connection(), concurrency: 8 }));
    const done = times(worker, 'completed', total, 20_000);
    let removed = 0;
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    while (!finished) removed += await queue.removeOrphanedJobs(20);
    await done;
    expect(removed).toBe(0);
    expect(await queue.getCompletedCount()).toBe(total);
  });

  it('refuses bad arguments before touching Redis', async () => {
    const queue = scope.queue();
    await queue.waitUntilReady();
    const before = await snapshotQueue(scope.redis, queue.name);
    for (const [args, message] of [
      [[0], 'count must be >= 1, got 0'],
      [[1.5], 'count must be an integer, got 1.5'],
      [[10, -1], 'limit must be >= 0, got -1'],
      [['10' as never], 'count must be an integer, got "10"'],
    ] as [number[], string][]) {
      const err = await queue.removeOrphanedJobs(...args).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toBe(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});
