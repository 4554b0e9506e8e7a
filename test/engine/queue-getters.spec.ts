// Queue getters: counts, pages of jobs per state, job state, logs, pause flag.
import { FlowProducer } from 'bullmq';
import { ConveyorValidationError, Queue } from '../../lib/index.js';
import { adminConnection, connection } from '../support/redis.js';
import { processSome, Scope } from './queue-test-support.js';

const ids = (jobs: { id?: string }[]) => jobs.map((j) => j.id);

describe('Queue getters', () => {
  let scope: Scope;
  beforeEach(() => {
    scope = new Scope();
  });
  afterEach(async () => {
    await scope.close();
  });

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
    const flow = await flows.add({ name: 'parent', queueName: queue.name, data: {}, children: [{ name: 'c', queueName: childQueue, data: {} }] });
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
      ['getJobs start < 0', (q) => q.getJobs('waiting', -1), /start must be >= 0, got -1/],
      ['getJobs end < -1', (q) => q.getJobs('waiting', 0, -2), /end must be >= -1, got -2/],
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
