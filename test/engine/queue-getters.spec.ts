// Queue getters: counts, pages of jobs per state, job state, logs, pause flag.
import { FlowProducer } from 'bullmq';
import { ConveyorValidationError, Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { adminConnection, connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { processSome } from './queue-test-support.js';

const ids = (jobs: { id?: string }[]) => jobs.map((j) => j.id);

describe('Queue getters', () => {
  const scope = scopePerTest();

  /** A queue with jobs in every state: 1 active, 2 completed, 1 failed, 2 waiting, 1 delayed, 2 prioritized, 1 waiting-children. */
  async function queueInEveryState() {
    const queue = scope.queue();
    const processed = await processSome(scope, queue, { complete: 2, fail: 1, hold: 1 });
    const w1 = await queue.add('w1', {});
    const w2 = await queue.add('w2', {});
    const d1 = await queue.add('d1', {}, { delay: 60_000 });
    const p1 = await queue.add('p1', {}, { priority: 5 });
    const p2 = await queue.add('p2', {}, { priority: 2 });
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const childQueue = scope.name('child');
    const flow = await flows.add({
      name: 'parent',
      queueName: queue.name,
      data: {},
      children: [{ name: 'c', queueName: childQueue, data: {} }],
    });
    return { queue, ...processed.ids, waiting: [w1.id!, w2.id!], delayed: [d1.id!], prioritized: [p1.id!, p2.id!], parent: flow.job.id! };
  }

  it('counts every state (default set as BullMQ 6), by name as asked, and in sums', async () => {
    const { queue } = await queueInEveryState();
    expect(await queue.getJobCounts()).toEqual({
      active: 1,
      completed: 2,
      delayed: 1,
      failed: 1,
      prioritized: 2,
      waiting: 2,
      'waiting-children': 1,
    });
    expect(await queue.getJobCounts('wait', 'paused')).toEqual({ wait: 2, paused: 0 });
    expect(await queue.getJobCountByTypes('waiting', 'wait', 'delayed')).toBe(3);
    expect(await queue.getJobCountByTypes()).toBe(10);
    // to be processed: waiting + delayed + prioritized + waiting-children (bullmq 6.7 counts the same)
    expect(await queue.count()).toBe(6);
    expect([
      await queue.getWaitingCount(),
      await queue.getActiveCount(),
      await queue.getDelayedCount(),
      await queue.getPrioritizedCount(),
      await queue.getCompletedCount(),
      await queue.getFailedCount(),
      await queue.getWaitingChildrenCount(),
    ]).toEqual([2, 1, 1, 2, 2, 1, 1]);
    expect(await queue.getCountsPerPriority([0, 2, 5, 7, 2])).toEqual({ '0': 2, '2': 1, '5': 1, '7': 0 });
  });

  it('pages jobs per state: newest first by default, oldest first when asc, each state paged on its own', async () => {
    const q = await queueInEveryState();
    const { queue } = q;
    const w3 = await queue.add('w3', {});
    const waiting = [...q.waiting, w3.id!];
    expect(ids(await queue.getJobs('waiting'))).toEqual([...waiting].reverse());
    expect(ids(await queue.getJobs(['wait'], 0, -1, true))).toEqual(waiting);
    expect(ids(await queue.getJobs('wait', 0, 1))).toEqual([w3.id, q.waiting[1]]);
    expect(ids(await queue.getJobs('wait', 0, 1, true))).toEqual(q.waiting);
    expect(ids(await queue.getJobs('wait', 1, 1, true))).toEqual([q.waiting[1]]);
    // prioritized by score: priority 2 before 5 ascending
    expect(ids(await queue.getJobs('prioritized', 0, -1, true))).toEqual([q.prioritized[1], q.prioritized[0]]);
    // two states, first entry of each; a state named twice is read once
    expect(ids(await queue.getJobs(['wait', 'delayed', 'waiting'], 0, 0))).toEqual([w3.id, q.delayed[0]]);
    // every state, in BullMQ's default order
    expect(ids(await queue.getJobs())).toEqual([
      ...q.active,
      ...[...q.completed].reverse(),
      ...q.delayed,
      ...q.failed,
      q.prioritized[0],
      q.prioritized[1],
      ...[...waiting].reverse(),
      q.parent,
    ]);
    // per-state getters read oldest first, except completed and failed
    expect(ids(await queue.getWaiting())).toEqual(waiting);
    expect(ids(await queue.getWaiting(0, 0))).toEqual([waiting[0]]);
    expect(ids(await queue.getCompleted())).toEqual([...q.completed].reverse());
    expect(ids(await queue.getFailed())).toEqual(q.failed);
    expect(ids(await queue.getActive())).toEqual(q.active);
    expect(ids(await queue.getDelayed())).toEqual(q.delayed);
    expect(ids(await queue.getPrioritized())).toEqual([q.prioritized[1], q.prioritized[0]]);
    expect(ids(await queue.getWaitingChildren())).toEqual([q.parent]);
    // jobs come back whole
    const [completed] = await queue.getCompleted(0, 0);
    expect(completed.returnvalue).toEqual({ done: 1 });
    expect(completed.finishedOn).toEqual(expect.any(Number));
    const [failed] = await queue.getFailed();
    expect(failed.failedReason).toBe('failing 0 on purpose');
  });

  it('reads the state of any job', async () => {
    const q = await queueInEveryState();
    const { queue } = q;
    expect(await queue.getJobState(q.active[0])).toBe('active');
    expect(await queue.getJobState(q.completed[0])).toBe('completed');
    expect(await queue.getJobState(q.failed[0])).toBe('failed');
    expect(await queue.getJobState(q.waiting[0])).toBe('waiting');
    expect(await queue.getJobState(q.delayed[0])).toBe('delayed');
    expect(await queue.getJobState(q.prioritized[0])).toBe('prioritized');
    expect(await queue.getJobState(q.parent)).toBe('waiting-children');
    expect(await queue.getJobState('no-such-job')).toBe('unknown');
  });

  it('pages job logs in both directions with the total count', async () => {
    const queue = scope.queue();
    const job = await queue.add('logged', {});
    for (const row of ['a', 'b', 'c', 'd']) await job.log(row);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['a', 'b', 'c', 'd'], count: 4 });
    expect(await queue.getJobLogs(job.id!, 1, 2)).toEqual({ logs: ['b', 'c'], count: 4 });
    expect(await queue.getJobLogs(job.id!, 0, 0, false)).toEqual({ logs: ['d'], count: 4 });
    expect(await queue.getJobLogs(job.id!, 0, 1, false)).toEqual({ logs: ['d', 'c'], count: 4 });
    expect(await queue.getJobLogs('no-such-job')).toEqual({ logs: [], count: 0 });
  });

  it('reports the pause flag, whoever set it', async () => {
    const queue = scope.queue();
    expect(await queue.isPaused()).toBe(false);
    await scope.redis.hset(`bull:${queue.name}:meta`, 'paused', '1');
    expect(await queue.isPaused()).toBe(true);
  });

  it('leaves out a job whose hash vanished between the page and the read, and skips legacy marker ids', async () => {
    const queue = scope.queue();
    const job = await queue.add('real', {});
    await scope.redis.lpush(`bull:${queue.name}:wait`, 'ghost');
    await scope.redis.rpush(`bull:${queue.name}:wait`, '0:1');
    expect(ids(await queue.getWaiting())).toEqual([job.id]);
    // the legacy marker is not a job; the ghost id is (it is counted, as BullMQ does)
    expect(await queue.getWaitingCount()).toBe(2);
  });

  it('takes negative and overflowing ranges as BullMQ does: counted from the far end of the order asked, clipped', async () => {
    const queue = scope.queue();
    const waiting: string[] = [];
    const delayed: string[] = [];
    for (let i = 0; i < 5; i++) waiting.push((await queue.add('w', { i })).id!);
    for (let i = 0; i < 5; i++) delayed.push((await queue.add('d', { i }, { delay: 60_000 + i })).id!);
    const newestFirst = (list: string[]) => [...list].reverse();
    // [start, end, asc, expected index range of the oldest-first list]
    expect(ids(await queue.getJobs('waiting', -3, -1, true))).toEqual(waiting.slice(2));
    expect(ids(await queue.getJobs('waiting', -3, -1, false))).toEqual(newestFirst(waiting).slice(2));
    expect(ids(await queue.getJobs('delayed', -2, -1, true))).toEqual(delayed.slice(3));
    expect(ids(await queue.getJobs('delayed', -2, -1, false))).toEqual(newestFirst(delayed).slice(3));
    expect(ids(await queue.getJobs(['waiting', 'delayed'], -300, 99_999, true))).toEqual([...waiting, ...delayed]);
    expect(ids(await queue.getJobs('waiting', 0, -2, true))).toEqual(waiting.slice(0, 4));
    expect(ids(await queue.getJobs('waiting', -5, 2, false))).toEqual(newestFirst(waiting).slice(0, 3));
    expect(ids(await queue.getJobs('waiting', 2, -3, true))).toEqual([waiting[2]]);
    expect(ids(await queue.getJobs('waiting', 3, 1, true))).toEqual([]);
    expect(ids(await queue.getWaiting(-2))).toEqual(waiting.slice(3));
    expect(ids(await queue.getDelayed(-2, -1))).toEqual(delayed.slice(3));
    // the same pages as ids only, deduplicated over state names that mean one list
    expect(await queue.getRanges(['waiting', 'delayed', 'wait'], 0, 1, true)).toEqual([...waiting.slice(0, 2), ...delayed.slice(0, 2)]);
    // logs take the same ranges
    const job = await queue.getJob(waiting[0]);
    for (const row of ['a', 'b', 'c']) await job!.log(row);
    expect(await queue.getJobLogs(waiting[0], -2, -1)).toEqual({ logs: ['b', 'c'], count: 3 });
  });

  it('fills a page counted from the start up with the following jobs when some listed jobs have no hash, per state', async () => {
    const queue = scope.queue();
    const waiting: string[] = [];
    const delayed: string[] = [];
    for (let i = 0; i < 6; i++) waiting.push((await queue.add('w', { i })).id!);
    for (let i = 0; i < 4; i++) delayed.push((await queue.add('d', { i }, { delay: 60_000 + i })).id!);
    await scope.redis.del(`bull:${queue.name}:${waiting[1]}`, `bull:${queue.name}:${waiting[2]}`, `bull:${queue.name}:${delayed[1]}`);
    const [w, d] = [(i: number) => waiting[i], (i: number) => delayed[i]];
    expect(ids(await queue.getJobs('waiting', 0, 2, true))).toEqual([w(0), w(3), w(4)]);
    expect(ids(await queue.getJobs('waiting', 3, 4, true))).toEqual([w(3), w(4)]);
    expect(ids(await queue.getJobs(['waiting', 'delayed'], 0, 1, true))).toEqual([w(0), w(3), d(0), d(2)]);
    // as bullmq: a page with a negative start or end is not filled up
    expect(ids(await queue.getJobs('waiting', -6, 2, true))).toEqual([w(0)]);
    // an unbounded page has nothing to fill up with; a state that runs out stops short
    expect(ids(await queue.getJobs('waiting', 0, -1, true))).toEqual([w(0), w(3), w(4), w(5)]);
    expect(ids(await queue.getJobs('waiting', 2, 10, true))).toEqual([w(3), w(4), w(5)]);
    for (const id of waiting) await scope.redis.del(`bull:${queue.name}:${id}`);
    expect(ids(await queue.getJobs('waiting', 0, 2, true))).toEqual([]);
  });

  it('counts the delayed jobs due strictly before a timestamp', async () => {
    const queue = scope.queue();
    const now = Date.now();
    await queue.add('soon', {}, { delay: 10_000, timestamp: now });
    await queue.add('later', {}, { delay: 20_000, timestamp: now });
    expect(await queue.getDelayedCount()).toBe(2);
    expect(await queue.getDelayedCount(now + 10_000)).toBe(0);
    expect(await queue.getDelayedCount(now + 10_001)).toBe(1);
    expect(await queue.getDelayedCount(now + 20_001)).toBe(2);
  });

  it('reads the queue meta (getMeta) and the version written by the last Queue (getVersion)', async () => {
    const queue = scope.queue();
    expect(await queue.getVersion()).toMatch(/^bullmq-conveyor:\d+\.\d+\.\d+/);
    expect(await queue.getMeta()).toEqual({ maxLenEvents: 10000, paused: false, version: await queue.getVersion() });
    await queue.setGlobalConcurrency(2);
    await queue.setGlobalRateLimit(5, 1000);
    await queue.pause();
    expect(await queue.getMeta()).toEqual({
      maxLenEvents: 10000,
      paused: true,
      concurrency: 2,
      max: 5,
      duration: 1000,
      version: expect.any(String),
    });
    expect(queue.metaValues).toEqual({ 'opts.maxLenEvents': 10000, version: await queue.getVersion() });

    const bare = scope.track(new (queue.constructor as typeof Queue)(scope.name(), { connection: connection(), skipMetasUpdate: true }));
    expect(await bare.getVersion()).toBeNull();
    expect(await bare.getMeta()).toEqual({ paused: false });
  });

  it('deletes the pre-v5 `priority` key and nothing else (removeDeprecatedPriorityKey)', async () => {
    const queue = scope.queue();
    const job = await queue.add('keep', {});
    const admin = await queue.client;
    await admin.zadd(queue.toKey('priority'), 1, 'legacy');
    expect(await queue.removeDeprecatedPriorityKey()).toBe(1);
    expect(await admin.exists(queue.toKey('priority'))).toBe(0);
    expect(await queue.removeDeprecatedPriorityKey()).toBe(0);
    expect(await queue.getJobState(job.id!)).toBe('waiting');
  });

  it("pages a parent's pending and processed children with their job data (getDependencies)", async () => {
    const queue = scope.queue();
    const flows = scope.track(new FlowProducer({ connection: adminConnection() }));
    const children = Array.from({ length: 4 }, (_, i) => ({
      name: `child-${i}`,
      queueName: queue.name,
      data: { i },
      opts: { jobId: `c${i}` },
    }));
    const { job: parent } = await flows.add({ name: 'parent', queueName: queue.name, data: {}, children });
    const childKey = (i: number) => `bull:${queue.name}:c${i}`;

    const pending = await queue.getDependencies(parent.id!, 'pending', 0, -1);
    expect(pending.total).toBe(4);
    expect(pending.items.map((item) => item.id).sort()).toEqual([0, 1, 2, 3].map(childKey));
    expect(pending.items.every((item) => !('v' in item))).toBe(true);
    for (const job of pending.jobs) {
      expect(job).toMatchObject({
        data: expect.any(String),
        opts: expect.any(Object),
        delay: 0,
        priority: 0,
        timestamp: expect.any(Number),
        parentKey: `bull:${queue.name}:${parent.id}`,
        parent: { id: parent.id, queueKey: `bull:${queue.name}` },
      });
    }
    expect(pending.jobs.map((job) => job.name)).toEqual(pending.items.map((item) => `child-${item.id.slice(-1)}`));
    // start < 0 counts as 0, end -1 is the last, any other negative end gives nothing
    expect((await queue.getDependencies(parent.id!, 'pending', 0, 2)).items).toHaveLength(3);
    expect((await queue.getDependencies(parent.id!, 'pending', -5, 0)).items).toHaveLength(1);
    expect((await queue.getDependencies(parent.id!, 'pending', 0, -2)).items).toHaveLength(0);
    expect((await queue.getDependencies(parent.id!, 'pending', 4, 10)).items).toHaveLength(0);

    const worker = scope.track(
      new Worker(queue.name, async (job: Job) => (job.name === 'parent' ? 'p' : { r: job.data.i }), { connection: connection() }),
    );
    await once(worker, 'completed', 10_000, (job: Job) => job.name === 'parent');
    expect(await queue.getDependencies(parent.id!, 'pending', 0, -1)).toEqual({ items: [], jobs: [], total: 0 });
    const processed = await queue.getDependencies(parent.id!, 'processed', 1, 2);
    expect(processed.total).toBe(4);
    expect(processed.items).toHaveLength(2);
    for (const [k, item] of processed.items.entries()) {
      const i = Number(item.id.slice(-1));
      expect(item).toEqual({ id: childKey(i), v: { r: i } });
      expect(processed.jobs[k]).toMatchObject({
        name: `child-${i}`,
        returnvalue: JSON.stringify({ r: i }),
        finishedOn: expect.any(Number),
      });
    }
    expect(await queue.getDependencies('no-such-parent', 'processed', 0, -1)).toEqual({ items: [], jobs: [], total: 0 });
  });

  describe('bad input is refused before Redis (a closed queue would fail otherwise)', () => {
    let closed: Queue;
    beforeEach(async () => {
      closed = new Queue(scope.name(), { connection: connection() });
      await closed.close();
    });

    const cases: [string, (q: Queue) => Promise<unknown>, RegExp][] = [
      ['getJobs unknown type', (q) => q.getJobs('bogus' as never), /types must contain only .*got "bogus"/],
      ['getJobs type not a string', (q) => q.getJobs(['waiting', 5] as never), /types must contain only .*got 5/],
      ['getJobs types an object', (q) => q.getJobs({} as never), /types must be a job type or an array of job types, got \{\}/],
      ['getJobs start not a number', (q) => q.getJobs('waiting', '0' as never), /start must be an integer, got "0"/],
      ['getJobs end NaN', (q) => q.getJobs('waiting', 0, NaN), /end must be an integer, got NaN/],
      ['getRanges unknown type', (q) => q.getRanges(['nope' as never]), /types must contain only .*got "nope"/],
      ['getDelayedCount negative timestamp', (q) => q.getDelayedCount(-1), /timestamp must be >= 0, got -1/],
      ['getDependencies without parent id', (q) => q.getDependencies('', 'pending', 0, -1), /parentId must be a non-empty string, got ""/],
      ['getDependencies fractional end', (q) => q.getDependencies('1', 'pending', 0, 1.5), /end must be an integer, got 1.5/],
      ['getJobs start fractional', (q) => q.getJobs('waiting', 1.5), /start must be an integer, got 1.5/],
      ['getJobs asc not boolean', (q) => q.getJobs('waiting', 0, -1, 'yes' as never), /asc must be a boolean, got "yes"/],
      ['getJobCounts unknown type', (q) => q.getJobCounts('nope' as never), /types must contain only .*got "nope"/],
      ['getJobCountByTypes unknown type', (q) => q.getJobCountByTypes('repeat' as never), /got "repeat"/],
      ['getWaiting bad end', (q) => q.getWaiting(0, 'x' as never), /end must be an integer, got "x"/],
      ['getJobState empty id', (q) => q.getJobState(''), /jobId must be a non-empty string, got ""/],
      ['getJobLogs missing id', (q) => q.getJobLogs(undefined as never), /jobId must be a non-empty string, got undefined/],
      ['getJobLogs asc not boolean', (q) => q.getJobLogs('1', 0, -1, 1 as never), /asc must be a boolean, got 1/],
      ['getCountsPerPriority negative', (q) => q.getCountsPerPriority([1, -1]), /priorities\[1\] must be between 0 and 2097151, got -1/],
      ['getCountsPerPriority not an array', (q) => q.getCountsPerPriority(3 as never), /priorities must be an array of integers, got 3/],
    ];
    it.each(cases)('%s', async (_label, call, message) => {
      const err = await call(closed).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    });
  });
});
