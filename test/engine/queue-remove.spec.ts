// Queue#remove and Queue#obliterate (wire-format §7.9).
import { FlowProducer } from 'bullmq';
import { ConveyorScriptError, ConveyorValidationError } from '../../lib/index.js';
import { once } from '../support/events.js';
import { adminConnection, streamEvents } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { addSchedulerIteration, processSome } from './queue-test-support.js';

async function keysOf(scope: Scope, name: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await scope.redis.scan(cursor, 'MATCH', `bull:${name}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  return keys.sort();
}

describe('Queue remove', () => {
  const scope = scopePerTest();

  it('removes a job and its keys from any state, emits removed with the state it left', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 1 });
    const waiting = await queue.add('w', {});
    const delayed = await queue.add('d', {}, { delay: 60_000 });
    const prioritized = await queue.add('p', {}, { priority: 4 });
    await waiting.log('a line');
    const removed = once(queue, 'removed');
    expect(await queue.remove(waiting.id!)).toBe(1);
    expect(await removed).toEqual([waiting.id]);
    expect(await queue.remove(delayed.id!)).toBe(1);
    expect(await queue.remove(prioritized.id!)).toBe(1);
    expect(await queue.remove(ids.completed[0])).toBe(1);
    expect(await queue.getJobCountByTypes()).toBe(0);
    expect(await scope.redis.exists(`bull:${queue.name}:${waiting.id}`, `bull:${queue.name}:${waiting.id}:logs`)).toBe(0);
    const events = (await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'removed');
    expect(events).toEqual([
      { event: 'removed', jobId: waiting.id, prev: 'wait' },
      { event: 'removed', jobId: delayed.id, prev: 'delayed' },
      { event: 'removed', jobId: prioritized.id, prev: 'prioritized' },
      { event: 'removed', jobId: ids.completed[0], prev: 'completed' },
    ]);
  });

  it('answers 1 for a job that does not exist, without an event', async () => {
    const queue = scope.queue();
    await queue.add('w', {});
    const before = await snapshotQueue(scope.redis, queue.name);
    expect(await queue.remove('no-such-job')).toBe(1);
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });

  it('answers 0 and writes nothing while a worker holds the job', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { hold: 1 });
    const before = await snapshotQueue(scope.redis, queue.name);
    expect(await queue.remove(ids.active[0])).toBe(0);
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });

  it('removes a parent with its children in another queue; without removeChildren the children stay', async () => {
    const parents = scope.queue();
    const children = scope.queue(scope.name('child'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'p',
      queueName: parents.name,
      data: {},
      children: [
        { name: 'c1', queueName: children.name, data: {} },
        { name: 'c2', queueName: children.name, data: {}, opts: { delay: 60_000 } },
      ],
    });
    const [c1, c2] = tree.children!.map((c) => c.job.id!);
    expect(await parents.remove(tree.job.id!)).toBe(1);
    expect(await keysOf(scope, children.name)).toEqual([
      `bull:${children.name}:events`,
      `bull:${children.name}:id`,
      `bull:${children.name}:marker`,
      `bull:${children.name}:meta`,
    ]);
    const childEvents = (await streamEvents(scope.redis, children.name)).filter((e) => e.event === 'removed');
    expect(childEvents).toEqual(
      expect.arrayContaining([
        { event: 'removed', jobId: c1, prev: 'wait' },
        { event: 'removed', jobId: c2, prev: 'delayed' },
      ]),
    );
    expect((await streamEvents(scope.redis, parents.name)).at(-1)).toEqual({
      event: 'removed',
      jobId: tree.job.id,
      prev: 'waiting-children',
    });

    const kept = await flows.add({
      name: 'p',
      queueName: parents.name,
      data: {},
      children: [{ name: 'c', queueName: children.name, data: {} }],
    });
    expect(await parents.remove(kept.job.id!, { removeChildren: false })).toBe(1);
    expect(await children.getJobState(kept.children![0].job.id!)).toBe('waiting');
  });

  it('removing the last pending child releases its parent', async () => {
    const parents = scope.queue();
    const children = scope.queue(scope.name('child'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'p',
      queueName: parents.name,
      data: {},
      children: [{ name: 'c', queueName: children.name, data: {} }],
    });
    expect(await children.remove(tree.children![0].job.id!)).toBe(1);
    expect(await parents.getJobState(tree.job.id!)).toBe('waiting');
    expect((await streamEvents(scope.redis, parents.name)).at(-1)).toEqual({
      event: 'waiting',
      jobId: tree.job.id,
      prev: 'waiting-children',
    });
  });

  it("refuses to remove a job scheduler's pending iteration, and bad input, writing nothing", async () => {
    const queue = scope.queue();
    const iteration = await addSchedulerIteration(scope.redis, queue.name, 'sch', 'delayed', Date.now() + 60_000);
    const before = await snapshotQueue(scope.redis, queue.name);
    const err = await queue.remove(iteration).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorScriptError);
    expect((err as ConveyorScriptError).code).toBe(-8);
    expect((err as Error).message).toBe(`Job ${iteration} belongs to a job scheduler and cannot be removed directly. removeJob`);
    for (const [call, message] of [
      [() => queue.remove(''), /jobId must be a non-empty string, got ""/],
      [() => queue.remove(7 as never), /jobId must be a non-empty string, got 7/],
      [() => queue.remove(iteration, { removeChildren: 'no' as never }), /removeChildren must be a boolean, got "no"/],
      [() => queue.remove(iteration, { children: true } as never), /remove options.children is not a known option/],
    ] as [() => Promise<unknown>, RegExp][]) {
      const bad = await call().catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ConveyorValidationError);
      expect((bad as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});

describe('Queue obliterate', () => {
  const scope = scopePerTest();

  it('deletes every job and queue key, in batches of count', async () => {
    const queue = scope.queue();
    const parentQueue = scope.queue(scope.name('parent'));
    await processSome(scope, queue, { complete: 3, fail: 2 });
    await queue.addBulk(
      Array.from({ length: 20 }, (_, i) => ({ name: `j${i}`, data: {}, opts: { priority: i % 3, delay: i % 4 === 0 ? 60_000 : 0 } })),
    );
    const job = await queue.add('logged', {});
    await job.log('line');
    await addSchedulerIteration(scope.redis, queue.name, 'sch', 'delayed', Date.now() + 60_000);
    await scope.redis.rpush(`bull:${queue.name}:paused`, 'legacy');
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    // a parent here waiting for a child here, and a parent elsewhere waiting for a child here
    await flows.add({ name: 'p', queueName: queue.name, data: {}, children: [{ name: 'c', queueName: queue.name, data: {} }] });
    const outside = await flows.add({
      name: 'p',
      queueName: parentQueue.name,
      data: {},
      children: [{ name: 'c', queueName: queue.name, data: {} }],
    });

    await queue.obliterate({ count: 4 });
    expect(await keysOf(scope, queue.name)).toEqual([]);
    // the outside parent lost its only child and runs
    expect(await parentQueue.getJobState(outside.job.id!)).toBe('waiting');
  });

  it('leaves a parent that waits for children in other queues, as bullmq: it runs once they finish', async () => {
    const queue = scope.queue();
    const children = scope.queue(scope.name('children'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'p',
      queueName: queue.name,
      data: {},
      children: [
        { name: 'c', queueName: queue.name, data: {} },
        { name: 'c', queueName: children.name, data: {} },
      ],
    });
    await queue.obliterate();
    const id = tree.job.id!;
    expect(await keysOf(scope, queue.name)).toEqual(
      [`bull:${queue.name}:${id}`, `bull:${queue.name}:${id}:dependencies`, `bull:${queue.name}:waiting-children`].sort(),
    );
    expect(await scope.redis.smembers(`bull:${queue.name}:${id}:dependencies`)).toEqual([
      `bull:${children.name}:${tree.children![1].job.id}`,
    ]);
  });

  it('refuses while a job is active (writing nothing), and with force deletes it and its lock', async () => {
    const queue = scope.queue();
    const { worker, ids, release } = await processSome(scope, queue, { hold: 1 });
    await queue.add('w', {});
    const before = await snapshotQueue(scope.redis, queue.name);
    await expect(queue.obliterate()).rejects.toThrow('Cannot obliterate queue with active jobs');
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
    expect(await queue.isPaused()).toBe(false);

    await queue.obliterate({ force: true });
    expect(await keysOf(scope, queue.name)).toEqual([]);
    // the worker cannot finish a job that no longer exists, and says so
    const lost = once(worker, 'error', 5000);
    release();
    const [err] = await lost;
    expect((err as Error).message).toBe(`Missing key for job ${ids.active[0]}. moveToFinished`);
  });

  it('refuses bad options before writing anything', async () => {
    const queue = scope.queue();
    await queue.add('w', {});
    const before = await snapshotQueue(scope.redis, queue.name);
    for (const [opts, message] of [
      [{ force: 'yes' }, /force must be a boolean, got "yes"/],
      [{ count: 0 }, /count must be >= 1, got 0/],
      [{ count: 2.5 }, /count must be an integer, got 2.5/],
      [{ force: true, hard: true }, /obliterate options.hard is not a known option/],
      ['all', /obliterate options must be an object, got "all"/],
    ] as [unknown, RegExp][]) {
      const err = await queue.obliterate(opts as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});
