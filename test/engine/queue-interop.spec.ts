// Getters, admin operations and job methods checked against real bullmq 6.7 on the same queue:
// bullmq reads what ours wrote, and both answer the same questions the same way.
import { Queue as BullQueue, QueueEvents as BullQueueEvents } from 'bullmq';
import type { Queue } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { processSome } from './queue-test-support.js';

const ids = (jobs: ({ id?: string } | undefined)[]) => jobs.map((j) => j?.id);

describe('interop with bullmq: queue getters, admin and job methods', () => {
  const scope = scopePerTest();

  async function both(): Promise<{ ours: Queue; bull: BullQueue }> {
    const ours = scope.queue();
    const bull = scope.track(new BullQueue(ours.name, { connection: { ...connection(), maxRetriesPerRequest: null } }));
    return { ours, bull };
  }

  it('bullmq reads the counts, pages, states and logs of jobs our engine wrote, and agrees with our getters', async () => {
    const { ours, bull } = await both();
    await processSome(scope, ours, { complete: 3, fail: 2, hold: 1 });
    for (let i = 0; i < 4; i++) await ours.add(`w${i}`, { i });
    await ours.add('d', {}, { delay: 60_000 });
    await ours.add('p1', {}, { priority: 7 });
    await ours.add('p2', {}, { priority: 1 });
    const logged = await ours.add('logged', {}, { keepLogs: 3 });
    for (const row of ['a', 'b', 'c', 'd']) await logged.log(row);
    await logged.updateProgress({ pct: 10 });
    await logged.updateData({ replaced: true });

    expect(await bull.getJobCounts()).toEqual(await ours.getJobCounts());
    expect(await bull.count()).toBe(await ours.count());
    expect(await bull.getJobCountByTypes('waiting', 'prioritized')).toBe(await ours.getJobCountByTypes('waiting', 'prioritized'));
    expect(await bull.getCountsPerPriority([0, 1, 7])).toEqual(await ours.getCountsPerPriority([0, 1, 7]));

    for (const [start, end, asc] of [
      [0, -1, false],
      [0, -1, true],
      [1, 2, false],
      [1, 2, true],
      [0, 0, true],
    ] as const) {
      expect(ids(await ours.getJobs(undefined, start, end, asc))).toEqual(ids(await bull.getJobs(undefined, start, end, asc)));
      expect(ids(await ours.getJobs(['wait', 'completed'], start, end, asc))).toEqual(
        ids(await bull.getJobs(['wait', 'completed'], start, end, asc)),
      );
    }
    expect(ids(await ours.getWaiting())).toEqual(ids(await bull.getWaiting()));
    expect(ids(await ours.getCompleted(0, 1))).toEqual(ids(await bull.getCompleted(0, 1)));
    expect(ids(await ours.getFailed())).toEqual(ids(await bull.getFailed()));
    expect(ids(await ours.getPrioritized())).toEqual(ids(await bull.getPrioritized()));
    expect(ids(await ours.getActive())).toEqual(ids(await bull.getActive()));

    for (const [start, end, asc] of [
      [0, -1, true],
      [0, 0, false],
      [1, 2, true],
      [0, 1, false],
    ] as const) {
      expect(await ours.getJobLogs(logged.id!, start, end, asc)).toEqual(await bull.getJobLogs(logged.id!, start, end, asc));
    }
    expect(await bull.getJobLogs(logged.id!)).toEqual({ logs: ['b', 'c', 'd'], count: 3 });
    const seen = await bull.getJob(logged.id!);
    expect(seen?.progress).toEqual({ pct: 10 });
    expect(seen?.data).toEqual({ replaced: true });
    expect(await bull.getJobState(logged.id!)).toBe(await ours.getJobState(logged.id!));
  });

  it('bullmq sees our pause, clean, remove, retry and promote the way its own would leave them', async () => {
    const { ours, bull } = await both();
    const { ids: done } = await processSome(scope, ours, { complete: 2, fail: 2 });
    await ours.pause();
    expect(await bull.isPaused()).toBe(true);
    const delayed = await ours.add('d', {}, { delay: 60_000 });
    const waiting = await ours.add('w', {});

    expect(await ours.clean(0, 1, 'completed')).toEqual([done.completed[0]]);
    expect(await bull.getJob(done.completed[0])).toBeUndefined();
    expect(await ours.remove(waiting.id!)).toBe(1);
    expect(await bull.getJob(waiting.id!)).toBeUndefined();
    await (await ours.getJob(done.failed[0]))!.retry();
    expect(await bull.getJobState(done.failed[0])).toBe('waiting');
    const retried = await bull.getJob(done.failed[0]);
    expect(retried?.failedReason).toBeUndefined();
    expect(retried?.finishedOn).toBeUndefined();
    await delayed.promote();
    expect(await bull.getJobState(delayed.id!)).toBe('waiting');
    await ours.retryJobs();
    expect(await bull.getJobCounts('failed', 'waiting', 'completed')).toEqual({ failed: 0, waiting: 3, completed: 1 });

    await ours.resume();
    expect(await bull.isPaused()).toBe(false);
    await ours.obliterate();
    expect(await bull.getJobCountByTypes()).toBe(0);
  });

  it('bullmq QueueEvents receives our progress and removed events', async () => {
    const { ours } = await both();
    // reads the stream from its start, so no event can slip past before the first read
    const events = scope.track(
      new BullQueueEvents(ours.name, { connection: { ...connection(), maxRetriesPerRequest: null }, lastEventId: '0-0' }),
    );
    const job = await ours.add('p', {});
    const progress = once(events, 'progress');
    await job.updateProgress({ step: 3 });
    expect((await progress)[0]).toEqual({ jobId: job.id, data: { step: 3 } });
    const removed = once(events, 'removed');
    await job.remove();
    expect((await removed)[0]).toEqual({ jobId: job.id, prev: 'wait' });
  });

  it('our getters read what bullmq wrote, in the same order bullmq reads it', async () => {
    const { ours, bull } = await both();
    for (let i = 0; i < 3; i++) await bull.add(`w${i}`, {});
    await bull.add('d1', {}, { delay: 60_000 });
    await bull.add('d2', {}, { delay: 30_000 });
    await bull.add('p', {}, { priority: 2 });
    const logged = await bull.add('l', {});
    await logged.log('x');
    await logged.updateProgress(77);
    expect(await ours.getJobCounts()).toEqual(await bull.getJobCounts());
    expect(ids(await ours.getJobs())).toEqual(ids(await bull.getJobs()));
    expect(ids(await ours.getDelayed())).toEqual(ids(await bull.getDelayed()));
    expect(await ours.getJobLogs(logged.id!)).toEqual({ logs: ['x'], count: 1 });
    expect((await ours.getJob(logged.id!))!.progress).toBe(77);
    const delayedIds = ids(await bull.getDelayed());
    expect(await ours.clean(0, 0, 'delayed')).toEqual(delayedIds);
    expect(await bull.getDelayedCount()).toBe(0);
  });
});
