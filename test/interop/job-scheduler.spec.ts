// Job schedulers across engines (wire-format §7.12): a scheduler written by either engine is listed
// the same by both, and its iterations continue whichever engine's workers take them.
import { Queue as BullQueue, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { type ConveyorScriptError, ErrorCode, Queue, Worker, type Job, type RepeatOptions } from '../../lib/index.js';
import { times } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, within } from '../support/wait.js';
import { bullConnection, conveyorConnection } from './support.js';

const millisOf = (jobId: string) => Number(jobId.slice(jobId.lastIndexOf(':') + 1));
/**
 * Iteration times rise on the `every` grid from the first. Consecutive slots unless a worker
 * took an iteration late (a busy machine): then the schedule catches up by skipping slots.
 */
function expectOnGrid(millis: number[], first: number, every: number): void {
  expect(millis[0]).toBe(first);
  for (let i = 1; i < millis.length; i++) {
    expect(millis[i]).toBeGreaterThan(millis[i - 1]);
    expect((millis[i] - first) % every).toBe(0);
  }
}
const countOf = (job: { opts: object }) => (job.opts as { repeat: { count: number } }).repeat.count;

describe('interop: job schedulers', () => {
  const scope = scopePerTest('interop');

  it('a scheduler upserted by bullmq is listed by Conveyor as bullmq lists it, and Conveyor workers continue it (every and cron)', async () => {
    const name = scope.name('sched-b2c');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const first = await bull.upsertJobScheduler(
      'b-every',
      { every: 300 },
      { name: 'tick', data: { a: 1 }, opts: { attempts: 2, keepLogs: 3 } },
    );
    await bull.upsertJobScheduler('b-cron', { pattern: '* * * * * *', tz: 'Europe/Paris', limit: 3 }, { name: 'cron' });
    await bull.upsertJobScheduler('b-later', { every: 5000, startDate: Date.now() + 3_600_000, endDate: Date.now() + 7_200_000, limit: 9 });

    expect(await queue.getJobSchedulersCount()).toBe(await bull.getJobSchedulersCount());
    expect(await queue.getJobSchedulers()).toEqual(await bull.getJobSchedulers());
    expect(await queue.getJobSchedulers(0, 1, true)).toEqual(await bull.getJobSchedulers(0, 1, true));
    for (const id of ['b-every', 'b-cron', 'b-later']) expect(await queue.getJobScheduler(id)).toEqual(await bull.getJobScheduler(id));

    const seen: Job[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          seen.push(job);
        },
        { connection: conveyorConnection() },
      ),
    );
    const cronDone = times(worker, 'completed', 3, 15_000, (j: Job) => j.repeatJobKey === 'b-cron');
    await times(worker, 'completed', 3, 15_000, (j: Job) => j.repeatJobKey === 'b-every');
    await cronDone;
    await worker.close();

    const every = seen.filter((j) => j.repeatJobKey === 'b-every').slice(0, 3);
    const m0 = millisOf(first!.id!);
    expect(every[0].id).toBe(first!.id);
    expectOnGrid(
      every.map((j) => millisOf(j.id!)),
      m0,
      300,
    );
    expect(every.map(countOf)).toEqual([1, 2, 3]);
    expect(every.map((j) => j.data)).toEqual([{ a: 1 }, { a: 1 }, { a: 1 }]);
    expect(every[2].opts).toMatchObject({ attempts: 2, keepLogs: 3, repeatJobKey: 'b-every' });

    const cron = seen.filter((j) => j.repeatJobKey === 'b-cron');
    expect(cron.map(countOf)).toEqual([1, 2, 3]);
    for (const j of cron) {
      expect(millisOf(j.id!) % 1000).toBe(0);
      expect(j.opts.prevMillis).toBe(millisOf(j.id!));
    }
    // the limit (3) held: the third created nothing, the scheduler points at it
    expect(await scope.redis.zscore(`bull:${name}:repeat`, 'b-cron')).toBe(String(millisOf(cron[2].id!)));
    expect(await bull.getJobScheduler('b-cron')).toMatchObject({ iterationCount: 3, next: millisOf(cron[2].id!) });
    // and both still agree after Conveyor moved the schedules on
    expect(await queue.getJobSchedulers()).toEqual(await bull.getJobSchedulers());
  }, 30_000);

  it('a scheduler upserted by Conveyor is listed by bullmq as Conveyor lists it, and bullmq workers iterate it', async () => {
    const name = scope.name('sched-c2b');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const first = await queue.upsertJobScheduler(
      'c-every',
      { every: 300 },
      { name: 'tick', data: { c: 1 }, opts: { attempts: 2, keepLogs: 3, priority: 4 } },
    );
    await queue.upsertJobScheduler('c-cron', { pattern: '* * * * * *', tz: 'America/New_York', limit: 3 }, { name: 'cron', data: [1, 2] });
    await queue.upsertJobScheduler('c-later', {
      every: 5000,
      offset: 1200,
      startDate: Date.now() + 3_600_000,
      endDate: Date.now() + 7_200_000,
      limit: 9,
    });
    await queue.upsertJobScheduler('c-yearly', { pattern: '0 0 1 1 *', tz: 'UTC', startDate: Date.now() + 86_400_000 });

    expect(await bull.getJobSchedulersCount()).toBe(4);
    expect(await bull.getJobSchedulers()).toEqual(await queue.getJobSchedulers());
    expect(await bull.getJobSchedulers(1, 2, true)).toEqual(await queue.getJobSchedulers(1, 2, true));
    for (const id of ['c-every', 'c-cron', 'c-later', 'c-yearly'])
      expect(await bull.getJobScheduler(id)).toEqual(await queue.getJobScheduler(id));

    const seen: BullJob[] = [];
    const worker = scope.track(
      new BullWorker(
        name,
        async (job: BullJob) => {
          seen.push(job);
        },
        { connection: bullConnection() },
      ),
    );
    const cronDone = times(worker, 'completed', 3, 15_000, (j: BullJob) => j.repeatJobKey === 'c-cron');
    await times(worker, 'completed', 3, 15_000, (j: BullJob) => j.repeatJobKey === 'c-every');
    await cronDone;
    await worker.close();

    const every = seen.filter((j) => j.repeatJobKey === 'c-every').slice(0, 3);
    const m0 = millisOf(first!.id!);
    expect(every[0].id).toBe(first!.id);
    expectOnGrid(
      every.map((j) => millisOf(j.id!)),
      m0,
      300,
    );
    expect(every.map(countOf)).toEqual([1, 2, 3]);
    expect(every.map((j) => j.data)).toEqual([{ c: 1 }, { c: 1 }, { c: 1 }]);
    expect(every.map((j) => j.priority)).toEqual([4, 4, 4]);

    const cron = seen.filter((j) => j.repeatJobKey === 'c-cron');
    expect(cron.map(countOf)).toEqual([1, 2, 3]);
    expect(cron.map((j) => j.data)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    for (const j of cron) expect(millisOf(j.id!) % 1000).toBe(0);
    expect(await scope.redis.zscore(`bull:${name}:repeat`, 'c-cron')).toBe(String(millisOf(cron[2].id!)));
    expect(await queue.getJobScheduler('c-cron')).toMatchObject({ iterationCount: 3 });
    expect(await queue.getJobSchedulers()).toEqual(await bull.getJobSchedulers());
  }, 30_000);

  it('upserts from either engine update the same scheduler in place; removal and the -8 guard work across engines', async () => {
    const name = scope.name('sched-upsert');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));

    const ours = await queue.upsertJobScheduler('shared', { every: 60_000, offset: 5 }, { name: 'n', data: { v: 1 } });
    const theirs = await bull.upsertJobScheduler('shared', { every: 60_000, offset: 5 }, { name: 'n', data: { v: 2 } });
    expect(theirs.id).toBe(ours!.id);
    expect(await queue.getJobScheduler('shared')).toMatchObject({ iterationCount: 1, template: { data: { v: 2 } } });
    const again = await queue.upsertJobScheduler('shared', { every: 60_000, offset: 5 }, { name: 'n', data: { v: 3 } });
    expect(again!.id).toBe(ours!.id);
    expect(await scope.redis.zrange(`bull:${name}:delayed`, 0, -1)).toEqual([ours!.id]);
    expect((await bull.getJob(ours!.id!))?.data).toEqual({ v: 3 });

    // neither engine removes the current iteration on its own
    const ourErr = await queue.remove(ours!.id!).catch((e: unknown) => e);
    expect((ourErr as ConveyorScriptError).code).toBe(ErrorCode.JobBelongsToJobScheduler);
    await expect(bull.remove(ours!.id!)).rejects.toThrow(/belongs to a job scheduler/);

    const bullOnly = await bull.upsertJobScheduler('bull-only', { every: 60_000, offset: 9 });
    const err = await (await queue.getJob(bullOnly.id!))!.remove().catch((e: unknown) => e);
    expect((err as ConveyorScriptError).code).toBe(ErrorCode.JobBelongsToJobScheduler);

    // removal by the other engine
    expect(await bull.removeJobScheduler('shared')).toBe(true);
    expect(await queue.getJobScheduler('shared')).toBeUndefined();
    expect(await queue.removeJobScheduler('bull-only')).toBe(true);
    expect(await bull.getJobScheduler('bull-only')).toBeUndefined();
    expect(await bull.getJobSchedulersCount()).toBe(0);
    const removed = (await streamEvents(scope.redis, name)).filter((e) => e.event === 'removed');
    expect(removed).toEqual([
      { event: 'removed', jobId: ours!.id, prev: 'delayed' },
      { event: 'removed', jobId: bullOnly.id, prev: 'delayed' },
    ]);
  });

  it('bullmq and Conveyor workers on one queue share a schedule: each iteration once, counts without gaps', async () => {
    const name = scope.name('sched-mixed');
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const taken: { id: string; count: number; by: string }[] = [];
    // Which idle worker wakes first for an iteration is timing: a worker that took the first
    // iteration of its engine stays busy (concurrency 1) until the other engine took one too, so
    // both take part whatever the machine's load
    const firstOf = { conveyor: deferred(), bullmq: deferred() };
    const take = async (id: string, count: number, by: 'conveyor' | 'bullmq') => {
      taken.push({ id, count, by });
      firstOf[by].resolve();
      const other = by === 'conveyor' ? 'bullmq' : 'conveyor';
      await within(firstOf[other].promise, 5000, `the first iteration of ${other}`).catch(() => undefined);
    };
    const ours = scope.track(new Worker(name, (job: Job) => take(job.id!, countOf(job), 'conveyor'), { connection: conveyorConnection() }));
    const theirs = scope.track(
      new BullWorker(name, (job: BullJob) => take(job.id!, countOf(job), 'bullmq'), { connection: bullConnection() }),
    );
    await Promise.all([ours.waitUntilReady(), theirs.waitUntilReady()]);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${taken.length} iterations taken`)), 20_000);
      const check = () => {
        if (taken.length >= 12) {
          clearTimeout(timer);
          ours.off('completed', check);
          theirs.off('completed', check);
          resolve();
        }
      };
      ours.on('completed', check);
      theirs.on('completed', check);
    });
    await queue.upsertJobScheduler('mixed', { every: 200 }, { name: 'm' });
    await done;
    await queue.removeJobScheduler('mixed');
    await Promise.all([ours.close(), theirs.close()]);

    const ids = taken.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const counts = taken.map((t) => t.count).sort((a, b) => a - b);
    expect(counts).toEqual(counts.map((_, i) => i + 1));
    const millis = [...taken].sort((a, b) => a.count - b.count).map((t) => millisOf(t.id));
    for (let i = 1; i < millis.length; i++) expect((millis[i] - millis[i - 1]) % 200).toBe(0);
    // both engines took iterations (each scheduled successors for the other)
    expect(new Set(taken.map((t) => t.by))).toEqual(new Set(['conveyor', 'bullmq']));
  }, 30_000);

  it('legacy repeatable keys and dangling entries: both engines list, refuse and classify them alike', async () => {
    const name = scope.name('sched-legacy');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const repeatKey = `bull:${name}:repeat`;
    await queue.upsertJobScheduler('tenant:region:::1000', { every: 60_000 });
    await scope.redis.zadd(repeatKey, Date.now() + 60_000, 'tenant:region:service:job:1000');
    expect(await queue.getJobSchedulers()).toEqual(await bull.getJobSchedulers());
    expect(await scope.redis.zscore(repeatKey, 'tenant:region:service:job:1000')).toBeNull();

    const legacy = 'legacy-name:legacy-id:::*/5 * * * * *';
    await scope.redis.zadd(repeatKey, Date.now() + 60_000, legacy);
    const theirs = await bull.getJobSchedulers().catch((e: Error) => e.message);
    const ours = await queue.getJobSchedulers().catch((e: Error) => e.message);
    expect(ours).toBe(theirs);
    expect(ours).toMatch(/^Legacy repeatable job metadata is not supported in BullMQ v6/);

    await scope.redis.hset(`${repeatKey}:${legacy}`, 'name', 'legacy-name');
    const [bullScheduler, ourScheduler] = [await bull.jobScheduler, await queue.jobScheduler];
    for (const id of [legacy, 'tenant:region:::1000', 'missing']) {
      expect([id, await ourScheduler.isJobScheduler(id)]).toEqual([id, await bullScheduler.isJobScheduler(id)]);
    }
    expect(await queue.getJobSchedulers()).toEqual(await bull.getJobSchedulers());
  });

  it('a custom repeatStrategy on both sides: a pattern only it reads is continued by the other engine', async () => {
    // "EVERY <n>S": a pattern cron-parser cannot read
    const repeatStrategy = (millis: number, opts: RepeatOptions) => {
      const step = Number(/^EVERY (\d+)S$/.exec(opts.pattern ?? '')?.[1]) * 1000;
      return Math.floor(millis / step) * step + step;
    };
    for (const [label, producer] of [
      ['conveyor-to-bullmq', 'conveyor'],
      ['bullmq-to-conveyor', 'bullmq'],
    ] as const) {
      const name = scope.name(`sched-strategy-${label}`);
      const first =
        producer === 'conveyor'
          ? await scope
              .track(new Queue(name, { connection: conveyorConnection(), settings: { repeatStrategy } }))
              .upsertJobScheduler('s', { pattern: 'EVERY 1S' }, { name: 'tick' })
          : await scope
              .track(new BullQueue(name, { connection: bullConnection(), settings: { repeatStrategy } }))
              .upsertJobScheduler('s', { pattern: 'EVERY 1S' }, { name: 'tick' });
      const ids: string[] = [];
      const worker =
        producer === 'conveyor'
          ? scope.track(
              new BullWorker(name, async (job: BullJob) => void ids.push(job.id!), {
                connection: bullConnection(),
                settings: { repeatStrategy },
              }),
            )
          : scope.track(
              new Worker(name, async (job: Job) => void ids.push(job.id!), {
                connection: conveyorConnection(),
                settings: { repeatStrategy },
              }),
            );
      await times(worker as never, 'completed', 2, 10_000);
      await worker.close();
      expect(ids[0]).toBe(first!.id);
      expect(millisOf(ids[1]) - millisOf(ids[0])).toBeGreaterThanOrEqual(1000);
      expect(millisOf(ids[1]) % 1000).toBe(0);
    }
  }, 30_000);
});
