// Queue#clean and Queue#drain (wire-format §7.9): what goes, what stays, in batches.
import { FlowProducer } from 'bullmq';
import { ConveyorValidationError, type Queue } from '../../lib/index.js';
import { once } from '../support/events.js';
import { adminConnection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { addSchedulerIteration, processSome } from './queue-test-support.js';

const HOUR = 3_600_000;

describe('Queue clean', () => {
  const scope = scopePerTest();

  it('removes finished jobs older than the grace period, oldest first, up to the limit; emits cleaned locally and in the stream', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 3, fail: 1 });
    const key = (s: string) => `bull:${queue.name}:${s}`;
    await queue.getJob(ids.completed[0]).then((j) => j!.log('a line'));

    expect(await queue.clean(HOUR, 0)).toEqual([]);
    const cleaned = once(queue, 'cleaned');
    expect(await queue.clean(0, 2)).toEqual(ids.completed.slice(0, 2));
    expect(await cleaned).toEqual([ids.completed.slice(0, 2), 'completed']);
    expect(await scope.redis.zrange(key('completed'), 0, -1)).toEqual([ids.completed[2]]);
    expect(await scope.redis.exists(key(ids.completed[0]), key(`${ids.completed[0]}:logs`), key(ids.completed[1]))).toBe(0);
    expect(await queue.clean(0, 0, 'failed')).toEqual(ids.failed);
    expect(await scope.redis.exists(key(ids.failed[0]))).toBe(0);

    const cleanedEvents = (await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'cleaned');
    expect(cleanedEvents).toEqual([
      { event: 'cleaned', count: '0' },
      { event: 'cleaned', count: '2' },
      { event: 'cleaned', count: '1' },
    ]);
  });

  it('ages waiting, delayed and prioritized jobs by their timestamp and leaves younger ones', async () => {
    const queue = scope.queue();
    const now = Date.now();
    const oldWait = await queue.add('old', {}, { timestamp: now - 2 * HOUR });
    const newWait = await queue.add('new', {});
    const oldDelayed = await queue.add('old-delayed', {}, { timestamp: now - 2 * HOUR, delay: 3 * HOUR });
    await queue.add('new-delayed', {}, { delay: HOUR });
    const oldPrio = await queue.add('old-prio', {}, { timestamp: now - 2 * HOUR, priority: 1 });
    await queue.add('new-prio', {}, { priority: 1 });

    expect(await queue.clean(HOUR, 0, 'wait')).toEqual([oldWait.id]);
    expect(await queue.clean(HOUR, 0, 'delayed')).toEqual([oldDelayed.id]);
    expect(await queue.clean(HOUR, 0, 'prioritized')).toEqual([oldPrio.id]);
    expect(await queue.getJobCounts('waiting', 'delayed', 'prioritized')).toEqual({ waiting: 1, delayed: 1, prioritized: 1 });
    expect((await queue.getWaiting()).map((j) => j.id)).toEqual([newWait.id]);
    expect(await scope.redis.exists(`bull:${queue.name}:${oldWait.id}`)).toBe(0);
    // 'waiting' names the same list
    expect(await queue.clean(0, 0, 'waiting')).toEqual([newWait.id]);
  });

  it('removes only active jobs nobody holds a lock for', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { hold: 1 });
    const orphan = await queue.add('orphan', {}, { timestamp: Date.now() - HOUR });
    // an active entry whose worker is gone and whose lock expired
    await scope.redis.lrem(`bull:${queue.name}:wait`, 0, orphan.id!);
    await scope.redis.lpush(`bull:${queue.name}:active`, orphan.id!);
    expect(await queue.clean(0, 0, 'active')).toEqual([orphan.id]);
    expect(await scope.redis.lrange(`bull:${queue.name}:active`, 0, -1)).toEqual(ids.active);
  });

  it('cleans waiting-children parents, and a cleaned child releases its parent', async () => {
    const queue = scope.queue();
    const childQueue = scope.queue(scope.name('child'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const lonely = await flows.add({
      name: 'p1',
      queueName: queue.name,
      data: {},
      children: [{ name: 'c', queueName: childQueue.name, data: {} }],
    });
    expect(await queue.clean(0, 0, 'waiting-children')).toEqual([lonely.job.id]);

    const tree = await flows.add({
      name: 'p2',
      queueName: queue.name,
      data: {},
      children: [{ name: 'c', queueName: childQueue.name, data: {} }],
    });
    const childId = tree.children![0].job.id!;
    expect(await childQueue.clean(0, 0, 'wait')).toContain(childId);
    expect(await scope.redis.smembers(`bull:${queue.name}:${tree.job.id}:dependencies`)).toEqual([]);
    expect(await queue.getJobState(tree.job.id!)).toBe('waiting');
  });

  it('names the list "wait" in the cleaned event whichever name the caller used, as bullmq', async () => {
    const queue = scope.queue();
    await queue.add('a', {});
    await queue.add('b', {});
    for (const type of ['wait', 'waiting'] as const) {
      const cleaned = once(queue, 'cleaned');
      const ids = await queue.clean(0, 1, type);
      expect(await cleaned).toEqual([ids, 'wait']);
    }
  });

  it('deletes a parent in this queue whose last pending children it removed (and its parent in turn), silently', async () => {
    const queue = scope.queue();
    const key = (s: string) => `bull:${queue.name}:${s}`;
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'top',
      queueName: queue.name,
      data: {},
      children: [
        {
          name: 'mid',
          queueName: queue.name,
          data: {},
          children: [
            { name: 'leaf', queueName: queue.name, data: {} },
            { name: 'leaf', queueName: queue.name, data: {} },
          ],
        },
      ],
    });
    const mid = tree.children![0];
    const eventsBefore = await streamEvents(scope.redis, queue.name);
    const leaves = mid.children!.map((c) => c.job.id!);
    // only the leaves are in wait: clean returns them alone, the parents go with them
    expect((await queue.clean(0, 0, 'wait')).sort()).toEqual(leaves.sort());
    expect(
      await scope.redis.exists(key(mid.job.id!), key(`${mid.job.id}:dependencies`), key(tree.job.id!), key(`${tree.job.id}:dependencies`)),
    ).toBe(0);
    expect(await scope.redis.zcard(key('waiting-children'))).toBe(0);
    expect(await queue.count()).toBe(0);
    expect((await streamEvents(scope.redis, queue.name)).slice(eventsBefore.length)).toEqual([{ event: 'cleaned', count: '2' }]);
  });

  it('releases a parent elsewhere without an event, and keeps a parent that still waits for children elsewhere', async () => {
    const queue = scope.queue();
    const other = scope.queue(scope.name('other'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    // a failed child keeps its place in its parent's dependencies (no parent rule): cleaning it
    // from failed is what releases (or deletes) the parent
    const outside = await flows.add({
      name: 'p',
      queueName: other.name,
      data: {},
      children: [{ name: 'c', queueName: queue.name, data: {} }],
    });
    const mixed = await flows.add({
      name: 'p',
      queueName: queue.name,
      data: {},
      children: [
        { name: 'c', queueName: queue.name, data: {} },
        { name: 'c', queueName: other.name, data: {} },
      ],
    });
    const otherEvents = await streamEvents(scope.redis, other.name);
    await queue.drain();
    expect(await other.getJobState(outside.job.id!)).toBe('waiting');
    expect((await streamEvents(scope.redis, other.name)).length).toBe(otherEvents.length);
    expect(await queue.getJobState(mixed.job.id!)).toBe('waiting-children');
    expect(await scope.redis.smembers(`bull:${queue.name}:${mixed.job.id}:dependencies`)).toEqual([
      `bull:${other.name}:${mixed.children![1].job.id}`,
    ]);
  });

  it('never removes the pending iteration of a job scheduler, and releases owned deduplication keys', async () => {
    const queue = scope.queue();
    const iteration = await addSchedulerIteration(scope.redis, queue.name, 'sch', 'wait');
    const deduped = await queue.add('deduped', {}, { timestamp: Date.now() - HOUR });
    await scope.redis.hset(`bull:${queue.name}:${deduped.id}`, 'deid', 'dd');
    await scope.redis.set(`bull:${queue.name}:de:dd`, deduped.id!);
    await scope.redis.set(`bull:${queue.name}:de:other`, 'someone-else');
    expect(await queue.clean(0, 0, 'wait')).toEqual([deduped.id]);
    expect(await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).toEqual([iteration]);
    expect(await scope.redis.exists(`bull:${queue.name}:de:dd`)).toBe(0);
    expect(await scope.redis.get(`bull:${queue.name}:de:other`)).toBe('someone-else');
  });

  it('works through long lists in batches: every old job goes, every young one keeps its place, the limit holds', async () => {
    const queue = scope.queue();
    const old = Date.now() - 2 * HOUR;
    // 3000 jobs alternating old/young, and a scheduler iteration in the middle
    const jobs = await queue.addBulk(
      Array.from({ length: 3000 }, (_, i) => ({ name: `j${i}`, data: {}, opts: i % 2 === 0 ? { timestamp: old } : {} })),
    );
    const iteration = await addSchedulerIteration(scope.redis, queue.name, 'sch', 'wait');
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: `late${i}`, data: {}, opts: { timestamp: old } })));
    const oldIds = jobs.filter((_, i) => i % 2 === 0).map((j) => j.id!);
    const youngIds = jobs.filter((_, i) => i % 2 === 1).map((j) => j.id!);

    const limited = await queue.clean(HOUR, 1200, 'wait');
    expect(limited).toEqual(oldIds.slice(0, 1200));
    const rest = await queue.clean(HOUR, 0, 'wait');
    expect(rest.length).toBe(300 + 10);
    const wait = await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1);
    expect(wait).toEqual([iteration, ...[...youngIds].reverse()]);
  });

  it('refuses bad input before writing anything', async () => {
    const queue = scope.queue();
    await processSome(scope, queue, { complete: 1 });
    await queue.add('w', {});
    const before = await snapshotQueue(scope.redis, queue.name);
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => queue.clean(-1, 0), /grace must be >= 0, got -1/],
      [() => queue.clean('1000' as never, 0), /grace must be an integer, got "1000"/],
      [() => queue.clean(0, 1.5), /limit must be an integer, got 1.5/],
      [() => queue.clean(0, -1), /limit must be >= 0, got -1/],
      [() => queue.clean(0, 0, 'bogus' as never), /type must be one of .*'completed'.*; got "bogus"/],
      [() => queue.drain('yes' as never), /delayed must be a boolean, got "yes"/],
    ];
    for (const [call, message] of cases) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});

describe('Queue drain', () => {
  const scope = scopePerTest();

  async function fill(queue: Queue) {
    const waiting = await queue.add('w', {});
    const prioritized = await queue.add('p', {}, { priority: 2 });
    const delayed = await queue.add('d', {}, { delay: HOUR });
    await scope.redis.rpush(`bull:${queue.name}:paused`, 'legacy');
    return { waiting: waiting.id!, prioritized: prioritized.id!, delayed: delayed.id! };
  }

  it('removes waiting, prioritized and legacy paused jobs, keeps delayed, finished, active and scheduler iterations, and emits nothing', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 1, fail: 1, hold: 1 });
    const jobs = await fill(queue);
    const iteration = await addSchedulerIteration(scope.redis, queue.name, 'sch', 'wait');
    const eventsBefore = (await streamEvents(scope.redis, queue.name)).length;
    await queue.drain();
    expect(await queue.getJobCounts()).toEqual({
      active: 1,
      completed: 1,
      delayed: 1,
      failed: 1,
      prioritized: 0,
      waiting: 1,
      'waiting-children': 0,
    });
    expect(await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).toEqual([iteration]);
    expect(await scope.redis.exists(`bull:${queue.name}:paused`)).toBe(0);
    expect(await scope.redis.exists(`bull:${queue.name}:${jobs.waiting}`, `bull:${queue.name}:${jobs.prioritized}`)).toBe(0);
    expect(await queue.getJobState(jobs.delayed)).toBe('delayed');
    expect(await queue.getJobState(ids.active[0])).toBe('active');
    expect((await streamEvents(scope.redis, queue.name)).length).toBe(eventsBefore);
  });

  it("drain(true) removes delayed jobs too, but not a scheduler's pending iteration", async () => {
    const queue = scope.queue();
    const jobs = await fill(queue);
    const iteration = await addSchedulerIteration(scope.redis, queue.name, 'sch', 'delayed', Date.now() + HOUR);
    await queue.drain(true);
    expect(await scope.redis.exists(`bull:${queue.name}:${jobs.delayed}`)).toBe(0);
    expect(await scope.redis.zrange(`bull:${queue.name}:delayed`, 0, -1)).toEqual([iteration]);
    expect(await queue.count()).toBe(1);
  });

  it('releases a parent whose last child it drained, and drains thousands of jobs in batches', async () => {
    const queue = scope.queue();
    const parentQueue = scope.queue(scope.name('parent'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'p',
      queueName: parentQueue.name,
      data: {},
      children: [{ name: 'c', queueName: queue.name, data: {} }],
    });
    await queue.addBulk(
      Array.from({ length: 2500 }, (_, i) => ({ name: `j${i}`, data: {}, opts: i % 3 === 0 ? { priority: 1 + (i % 5) } : {} })),
    );
    await queue.drain();
    expect(await queue.count()).toBe(0);
    let cursor = '0';
    const left: string[] = [];
    do {
      const [next, keys] = await scope.redis.scan(cursor, 'MATCH', `bull:${queue.name}:*`, 'COUNT', 1000);
      cursor = next;
      left.push(...keys);
    } while (cursor !== '0');
    expect(left.sort()).toEqual([
      `bull:${queue.name}:events`,
      `bull:${queue.name}:id`,
      `bull:${queue.name}:marker`,
      `bull:${queue.name}:meta`,
      `bull:${queue.name}:pc`,
    ]);
    expect(await parentQueue.getJobState(tree.job.id!)).toBe('waiting');
  });
});
