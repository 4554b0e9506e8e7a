// Job instance methods: progress, logs, data, remove, retry, promote (wire-format §7.11).
import { FlowProducer, Queue as BullQueue } from 'bullmq';
import { ConveyorScriptError, ConveyorValidationError, Job, Worker } from '../../lib/index.js';
import { once } from '../support/events.js';
import { adminConnection, connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { processSome } from './queue-test-support.js';

describe('Job methods', () => {
  const scope = scopePerTest();

  it('updateProgress stores JSON, emits progress to QueueEvents (stream) and on the queue', async () => {
    const queue = scope.queue();
    const job = await queue.add('p', {});
    const local = once(queue, 'progress');
    await job.updateProgress(42);
    const [emittedJob, emitted] = await local;
    expect(emittedJob).toBe(job);
    expect(emitted).toBe(42);
    await job.updateProgress({ step: 'b', pct: 50 });
    expect(job.progress).toEqual({ step: 'b', pct: 50 });
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'progress')).toBe('{"step":"b","pct":50}');
    const events = (await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'progress');
    expect(events).toEqual([
      { event: 'progress', jobId: job.id, data: '42' },
      { event: 'progress', jobId: job.id, data: '{"step":"b","pct":50}' },
    ]);
    expect((await queue.getJob(job.id!))!.progress).toEqual({ step: 'b', pct: 50 });
  });

  it('updateProgress inside a processor makes the Worker emit progress', async () => {
    const queue = scope.queue();
    const worker = scope.track(
      new Worker(
        queue.name,
        async (job) => {
          await job.updateProgress(30);
          return 'ok';
        },
        { connection: connection() },
      ),
    );
    const progress = once(worker, 'progress');
    const job = await queue.add('p', {});
    const [progressJob, value] = await progress;
    expect(progressJob.id).toBe(job.id);
    expect(value).toBe(30);
  });

  it('log appends lines and answers the count, keeping only keepLogs lines when the job has it (also from bullmq)', async () => {
    const queue = scope.queue();
    const plain = await queue.add('plain', {});
    expect(await plain.log('one')).toBe(1);
    expect(await plain.log('two')).toBe(2);
    const kept = await queue.add('kept', {}, { keepLogs: 2 });
    for (const row of ['a', 'b']) await kept.log(row);
    expect(await kept.log('c')).toBe(2);
    expect(await scope.redis.lrange(`bull:${queue.name}:${kept.id}:logs`, 0, -1)).toEqual(['b', 'c']);

    const bull = scope.track(new BullQueue(queue.name, { connection: adminConnection() }));
    const fromBull = await bull.add('bull', {}, { keepLogs: 1 });
    const ours = (await queue.getJob(fromBull.id!))!;
    await ours.log('x');
    expect(await ours.log('y')).toBe(1);
    expect(await queue.getJobLogs(fromBull.id!)).toEqual({ logs: ['y'], count: 1 });
  });

  it('clearLogs deletes the lines, or keeps the newest N', async () => {
    const queue = scope.queue();
    const job = await queue.add('l', {});
    for (const row of ['a', 'b', 'c']) await job.log(row);
    await job.clearLogs(1);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['c'], count: 1 });
    await job.clearLogs();
    expect(await scope.redis.exists(`bull:${queue.name}:${job.id}:logs`)).toBe(0);
  });

  it('updateData replaces the stored data', async () => {
    const queue = scope.queue();
    const job = await queue.add('d', { v: 1 });
    await job.updateData({ v: 2, list: [1, 2] });
    expect(job.data).toEqual({ v: 2, list: [1, 2] });
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'data')).toBe('{"v":2,"list":[1,2]}');
  });

  it('remove deletes the job and emits removed on the queue; a held job cannot be removed', async () => {
    const queue = scope.queue();
    const job = await queue.add('r', {});
    const removed = once(queue, 'removed');
    await job.remove();
    expect((await removed)[0]).toBe(job);
    expect(await scope.redis.exists(`bull:${queue.name}:${job.id}`)).toBe(0);
    await expect(job.remove()).resolves.toBeUndefined();

    const { ids } = await processSome(scope, queue, { hold: 1 });
    const held = (await queue.getJob(ids.active[0]))!;
    await expect(held.remove()).rejects.toThrow(`Job ${held.id} could not be removed because it is locked by another worker`);
  });

  it('retry moves a failed job back to wait without its finish fields; resets attempt counters when asked', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 1, fail: 1 });
    const key = (id: string) => `bull:${queue.name}:${id}`;
    const failed = (await queue.getJob(ids.failed[0]))!;
    await failed.retry();
    expect(await queue.getJobState(failed.id!)).toBe('waiting');
    // the job object's finish fields are null afterwards, as bullmq 6.7 leaves them
    expect([failed.failedReason, failed.processedOn, failed.finishedOn, failed.returnvalue]).toEqual([null, null, null, null]);
    const hash = await scope.redis.hgetall(key(failed.id!));
    expect(hash).not.toHaveProperty('failedReason');
    expect(hash).not.toHaveProperty('finishedOn');
    expect(hash).not.toHaveProperty('processedOn');
    expect(hash.atm).toBe('1');
    expect((await streamEvents(scope.redis, queue.name)).at(-1)).toEqual({ event: 'waiting', jobId: failed.id, prev: 'failed' });

    const completed = (await queue.getJob(ids.completed[0]))!;
    await expect(completed.retry()).rejects.toThrow(`Job ${completed.id} is not in the failed state. reprocessJob`);
    await completed.retry('completed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    const fresh = await scope.redis.hgetall(key(completed.id!));
    expect(Object.keys(fresh)).toEqual(expect.not.arrayContaining(['returnvalue', 'atm', 'ats', 'finishedOn']));
    expect(completed.attemptsMade).toBe(0);
    expect(await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).toEqual([completed.id, failed.id]);
  });

  it('retry puts a prioritized job back in prioritized and a lifo job at the running end', async () => {
    const queue = scope.queue();
    const normal = await queue.add('normal', {});
    const retried: string[] = [];
    for (const [name, opts] of [
      ['prio', { priority: 3 }],
      ['lifo', { lifo: true }],
    ] as const) {
      const job = await queue.add(name, {}, opts);
      // finished as a worker would have, without running the others
      await scope.redis.lrem(`bull:${queue.name}:wait`, 0, job.id!);
      await scope.redis.zrem(`bull:${queue.name}:prioritized`, job.id!);
      await scope.redis.zadd(`bull:${queue.name}:failed`, Date.now(), job.id!);
      await job.retry();
      retried.push(job.id!);
    }
    expect(await scope.redis.zrange(`bull:${queue.name}:prioritized`, 0, -1)).toEqual([retried[0]]);
    expect(await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).toEqual([normal.id, retried[1]]);
  });

  it('retry of a completed child makes it a pending dependency of its parent again', async () => {
    const parents = scope.queue();
    const children = scope.queue(scope.name('child'));
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const tree = await flows.add({
      name: 'p',
      queueName: parents.name,
      data: {},
      children: [{ name: 'c', queueName: children.name, data: {} }],
    });
    const childKey = `bull:${children.name}:${tree.children![0].job.id}`;
    const worker = scope.track(new Worker(children.name, async () => 'child-done', { connection: connection() }));
    await once(worker, 'completed');
    await worker.close();
    expect(await scope.redis.hget(`bull:${parents.name}:${tree.job.id}:processed`, childKey)).toBe('"child-done"');
    const child = (await children.getJob(tree.children![0].job.id!))!;
    await child.retry('completed');
    expect(await scope.redis.smembers(`bull:${parents.name}:${tree.job.id}:dependencies`)).toEqual([childKey]);
    expect(await scope.redis.hexists(`bull:${parents.name}:${tree.job.id}:processed`, childKey)).toBe(0);
    // the parent already left waiting-children and stays where it is
    expect(await parents.getJobState(tree.job.id!)).toBe('waiting');
  });

  it('promote makes a delayed job ready at once, with delay 0', async () => {
    const queue = scope.queue();
    const job = await queue.add('later', {}, { delay: 60_000 });
    const prio = await queue.add('later-prio', {}, { delay: 60_000, priority: 2 });
    await scope.redis.del(`bull:${queue.name}:marker`);
    await job.promote();
    await prio.promote();
    expect(job.delay).toBe(0);
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'delay')).toBe('0');
    expect(await queue.getJobState(job.id!)).toBe('waiting');
    expect(await queue.getJobState(prio.id!)).toBe('prioritized');
    expect(await scope.redis.zrange(`bull:${queue.name}:marker`, 0, -1, 'WITHSCORES')).toEqual(['0', '0']);
    expect((await streamEvents(scope.redis, queue.name)).slice(-2)).toEqual([
      { event: 'waiting', jobId: job.id, prev: 'delayed' },
      { event: 'waiting', jobId: prio.id, prev: 'delayed' },
    ]);
    await expect(job.promote()).rejects.toThrow(`Job ${job.id} is not in the delayed state. promote`);
  });

  it("methods on a job that no longer exists reject with BullMQ's messages", async () => {
    const queue = scope.queue();
    const job = await queue.add('gone', {});
    await job.remove();
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => job.updateProgress(5), `Missing key for job ${job.id}. updateProgress`, -1],
      [() => job.log('x'), `Missing key for job ${job.id}. addLog`, -1],
      [() => job.updateData({}), `Missing key for job ${job.id}. updateData`, -1],
      [() => job.retry(), `Missing key for job ${job.id}. reprocessJob`, -1],
      [() => job.promote(), `Job ${job.id} is not in the delayed state. promote`, -3],
    ];
    for (const [call, message, code] of cases) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorScriptError);
      expect((err as ConveyorScriptError).message).toBe(message);
      expect((err as ConveyorScriptError).code).toBe(code);
    }
    expect(await scope.redis.exists(`bull:${queue.name}:${job.id}`, `bull:${queue.name}:${job.id}:logs`)).toBe(0);
  });

  it('refuses bad input before writing anything', async () => {
    const queue = scope.queue();
    const job = await queue.add('j', { a: 1 }, { sizeLimit: 20 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const unsaved = new Job(queue, 'never-added', {});
    const before = await snapshotQueue(scope.redis, queue.name);
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => job.updateProgress(undefined as never), /progress must be a number, string, boolean or object, got undefined/],
      [() => job.updateProgress((() => 1) as never), /progress must be a number, string, boolean or object, got a function/],
      [() => job.updateProgress(circular), /progress cannot be serialized to JSON/],
      [() => job.clearLogs(1.5), /keepLogs must be an integer, got 1.5/],
      [
        () => job.updateData(circular as never),
        /^Converting circular structure to JSON[^]*\(data of job "j" cannot be serialized to JSON\)$/,
      ],
      [() => job.retry('active' as never), /state must be 'completed' or 'failed', got "active"/],
      [() => job.retry('failed', { resetAttemptsMade: 'yes' } as never), /resetAttemptsMade must be a boolean, got "yes"/],
      [() => job.retry('failed', { reset: true } as never), /retry options.reset is not a known option/],
      [() => job.remove({ removeChildren: 1 } as never), /removeChildren must be a boolean, got 1/],
      [() => unsaved.updateProgress(1), /^Missing key for job undefined\. updateProgress \(the job was never added, so it has no id\)$/],
      [() => unsaved.log('x'), /^Missing key for job undefined\. addLog /],
      [() => unsaved.promote(), /^Missing key for job undefined\. promote /],
    ];
    for (const [call, message] of cases) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});
