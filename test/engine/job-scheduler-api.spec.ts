// The JobScheduler object (bullmq 6.7's `queue.jobScheduler`), its methods, BullMQ 5 legacy
// repeatable keys, custom repeat strategies and the exported time helpers.
import { nextCronTime } from '../../lib/engine/scheduler/repeat-time.js';
import {
  defaultRepeatStrategy,
  getLegacyRepeatableJobError,
  getNextMillis,
  hasLegacyRepeatableKeyShape,
  isLegacyRepeatableJobKey,
  JobScheduler,
  LEGACY_REPEATABLE_JOBS_MIGRATION_URL,
  Queue,
  Worker,
  type Job,
  type RepeatOptions,
} from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

const millisOf = (jobId: string) => Number(jobId.slice(jobId.lastIndexOf(':') + 1));

describe('queue.jobScheduler and worker.jobScheduler', () => {
  const scope = scopePerTest('sched-api');
  let name: string;
  const key = (suffix: string) => `bull:${name}:${suffix}`;

  beforeEach(() => {
    name = scope.name();
  });

  it('is one JobScheduler per owner, ready on the owner connection; its errors reach the owner', async () => {
    const queue = scope.queue(name);
    const scheduler = await queue.jobScheduler;
    expect(scheduler).toBeInstanceOf(JobScheduler);
    expect(await queue.jobScheduler).toBe(scheduler);
    await scheduler.waitUntilReady();
    expect(scheduler.name).toBe(name);
    expect(scheduler.qualifiedName).toBe(`bull:${name}`);

    const seen: unknown[] = [];
    queue.on('error', (err) => seen.push(err));
    const boom = new Error('job scheduler boom');
    scheduler.emit('error', boom);
    expect(seen).toEqual([boom]);
    expect(seen[0]).toBe(boom);

    const worker = scope.track(new Worker(name, null, { connection: connection() }));
    const workerScheduler = await worker.jobScheduler;
    expect(workerScheduler).toBeInstanceOf(JobScheduler);
    expect(workerScheduler).not.toBe(scheduler);
    const workerSeen: unknown[] = [];
    worker.on('error', (err) => workerSeen.push(err));
    workerScheduler.emit('error', boom);
    expect(workerSeen).toEqual([boom]);
  });

  it('an error with no listener on the owner is dropped, not thrown', async () => {
    const queue = scope.queue(name);
    const scheduler = await queue.jobScheduler;
    expect(() => scheduler.emit('error', new Error('nobody listens'))).not.toThrow();
  });

  it("upsertJobScheduler with override creates the scheduler; without, creates the producer's successor only once", async () => {
    const queue = scope.queue(name);
    const scheduler = await queue.jobScheduler;
    const first = await scheduler.upsertJobScheduler(
      'direct',
      { every: 60_000 },
      'direct-job',
      { n: 1 },
      { attempts: 2 },
      { override: true },
    );
    expect(first!.name).toBe('direct-job');
    expect(first!.data).toEqual({ n: 1 });
    expect(await scheduler.getScheduler('direct')).toMatchObject({ key: 'direct', name: 'direct-job', every: 60_000, iterationCount: 1 });
    expect(await scheduler.getSchedulersCount()).toBe(1);

    const repeat = first!.opts.repeat as RepeatOptions;
    const next = await scheduler.upsertJobScheduler('direct', repeat, first!.name, first!.data, first!.opts, {
      override: false,
      producerId: first!.id!,
    });
    expect(millisOf(next!.id!)).toBe(millisOf(first!.id!) + 60_000);
    expect(next!.opts.repeat).toMatchObject({ every: 60_000, count: 2 });
    expect(await scheduler.getScheduler('direct')).toMatchObject({ iterationCount: 2, next: millisOf(next!.id!) });
    // the same producer again (a second worker, a stalled job taken again): nothing
    expect(
      await scheduler.upsertJobScheduler('direct', repeat, first!.name, first!.data, first!.opts, {
        override: false,
        producerId: first!.id!,
      }),
    ).toBeUndefined();
    expect(await scope.redis.zcard(key('delayed'))).toBe(1);

    expect(await scheduler.removeJobScheduler('direct')).toBe(0);
    expect(await scheduler.removeJobScheduler('direct')).toBe(1);
    expect(await queue.removeJobScheduler('direct')).toBe(false);
  });

  it('isJobScheduler: a scheduler (even with 5+ colon parts) yes; a BullMQ 5 repeatable key or nothing, no', async () => {
    const queue = scope.queue(name);
    const scheduler = await queue.jobScheduler;
    const colons = 'tenant:region:env:service:queue:task';
    await queue.upsertJobScheduler(colons, { every: 60_000 });
    const legacy = 'legacy-name:legacy-id:::*/5 * * * * *';
    await scope.redis.zadd(key('repeat'), Date.now() + 60_000, legacy);
    await scope.redis.hset(key(`repeat:${legacy}`), 'name', 'legacy-name');

    expect(await scheduler.isJobScheduler(colons)).toBe(true);
    expect(await scheduler.isJobScheduler(legacy)).toBe(false);
    expect(await scheduler.isJobScheduler('nothing')).toBe(false);
  });

  it('a BullMQ 5 repeatable key without its hash fails the listing with the migration error; a dangling scheduler entry is dropped', async () => {
    const queue = scope.queue(name);
    await queue.upsertJobScheduler('live', { every: 60_000 });
    const dangling = 'tenant:region:service:job:1000';
    await scope.redis.zadd(key('repeat'), Date.now() + 60_000, dangling);
    // a single read leaves it; the listing drops it
    expect(await queue.getJobScheduler(dangling)).toBeUndefined();
    expect(await queue.getJobSchedulersCount()).toBe(2);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['live']);
    expect(await scope.redis.zscore(key('repeat'), dangling)).toBeNull();

    const legacy = 'legacy-name:legacy-id:::1000';
    await scope.redis.zadd(key('repeat'), Date.now() + 60_000, legacy);
    const message =
      `Legacy repeatable job metadata is not supported in BullMQ v6 (key: "${legacy}"). ` +
      `Migrate legacy repeatable jobs to Job Schedulers before upgrading. See ${LEGACY_REPEATABLE_JOBS_MIGRATION_URL}`;
    await expect(queue.getJobSchedulers()).rejects.toThrow(message);
    await expect(queue.getJobScheduler(legacy)).rejects.toThrow(message);
    expect(getLegacyRepeatableJobError(legacy).message).toBe(message);
    // a page that does not reach it lists fine, and the legacy entry stays (it is the user's to migrate)
    expect((await queue.getJobSchedulers(0, 0, true)).map((s) => s.key)).toEqual(['live']);
    expect(await scope.redis.zscore(key('repeat'), legacy)).not.toBeNull();
  });

  it('settings.repeatStrategy computes pattern times: the queue with (now, repeat options, name), the worker with (max(now, prevMillis), opts.repeat, name)', async () => {
    const calls: { who: string; millis: number; opts: RepeatOptions; name?: string }[] = [];
    // "every N seconds" written as a pattern the default strategy could not read
    const strategy = (who: string) => (millis: number, opts: RepeatOptions, jobName?: string) => {
      calls.push({ who, millis, opts, name: jobName });
      const step = Number(/^EVERY (\d+)S$/.exec(opts.pattern ?? '')?.[1]) * 1000;
      return Math.floor(millis / step) * step + step;
    };
    const queue = scope.track(new Queue(name, { connection: connection(), settings: { repeatStrategy: strategy('queue') } }));
    const before = Date.now();
    const first = await queue.upsertJobScheduler('custom', { pattern: 'EVERY 1S' }, { name: 'custom-job' });
    expect(calls[0]).toEqual({ who: 'queue', millis: expect.any(Number), opts: { pattern: 'EVERY 1S' }, name: 'custom-job' });
    expect(calls[0].millis).toBeGreaterThanOrEqual(before);
    expect(millisOf(first!.id!) % 1000).toBe(0);
    expect(first!.opts.prevMillis).toBe(millisOf(first!.id!));

    const seen: Job[] = [];
    const worker = scope.track(
      new Worker(name, async (job: Job) => void seen.push(job), {
        connection: connection(),
        settings: { repeatStrategy: strategy('worker') },
      }),
    );
    await times(worker, 'completed', 2, 10_000);
    await worker.close();
    const workerCalls = calls.filter((c) => c.who === 'worker');
    expect(workerCalls[0].name).toBe('custom-job');
    expect(workerCalls[0].opts).toEqual({ pattern: 'EVERY 1S', count: 1 });
    expect(workerCalls[0].millis).toBeGreaterThanOrEqual(millisOf(first!.id!));
    expect(millisOf(seen[1].id!) - millisOf(seen[0].id!)).toBeGreaterThanOrEqual(1000);
    expect(millisOf(seen[1].id!) % 1000).toBe(0);
  });

  it('a worker with no repeatStrategy cannot read a custom pattern: it says so and leaves the iteration to the stalled checker', async () => {
    // written as a queue with a strategy would write it
    const queue = scope.track(new Queue(name, { connection: connection(), settings: { repeatStrategy: (m: number) => m - (m % 1000) } }));
    const first = await queue.upsertJobScheduler('unreadable', { pattern: 'RRULE:FREQ=SECONDLY' });
    const ran: Job[] = [];
    const worker = scope.track(new Worker(name, async (job: Job) => void ran.push(job), { connection: connection() }));
    const [err] = await once<[Error]>(worker, 'error', 10_000, (e: Error) =>
      e.message.startsWith('Failed to add repeatable job for next iteration'),
    );
    expect(err.message).toMatch(/^Failed to add repeatable job for next iteration: Validation error, cannot resolve alias/);
    await worker.close();
    expect(ran).toEqual([]);
    expect(await scope.redis.lrange(key('active'), 0, -1)).toEqual([first!.id]);
  });
});

describe('time helpers', () => {
  const T = Date.UTC(2017, 1, 7, 9, 24, 0);

  it('getNextMillis: every → the next multiple of every (the current one with immediately); pattern → defaultRepeatStrategy', () => {
    expect(getNextMillis(T + 1234, { every: 7000 })).toBe(T + 1234 - ((T + 1234) % 7000) + 7000);
    expect(getNextMillis(T + 1234, { every: 5000, immediately: true })).toBe(T + 1234 - ((T + 1234) % 5000));
    expect(getNextMillis(T, { pattern: '*/10 * * * * *' })).toBe(T + 10_000);
  });

  it('defaultRepeatStrategy: from startDate when later, in tz, undefined past endDate, now with immediately', () => {
    expect(defaultRepeatStrategy(T, { pattern: '0 * * * *', tz: 'Asia/Calcutta' })).toBe(T + 6 * 60_000);
    expect(defaultRepeatStrategy(T, { pattern: '0 * * * *', startDate: T + 5 * 3_600_000 })).toBe(
      nextCronTime('0 * * * *', undefined, T + 5 * 3_600_000),
    );
    expect(defaultRepeatStrategy(T, { pattern: '0 * * * *', endDate: T + 1000 })).toBeUndefined();
    const before = Date.now();
    expect(defaultRepeatStrategy(T, { pattern: '0 * * * *', immediately: true })).toBeGreaterThanOrEqual(before);
  });

  it('hasLegacyRepeatableKeyShape: name:id:endDate:tz:(every | cron), endDate empty or digits', () => {
    for (const legacy of [
      'legacy-name:legacy-id:::*/5 * * * * *',
      'legacy-name:legacy-id:::1000',
      'a:b:123:Europe/Paris:* * * * *',
      'a::::1000',
      'x:y:::a:b c',
    ]) {
      expect([legacy, hasLegacyRepeatableKeyShape(legacy)]).toEqual([legacy, true]);
    }
    for (const other of [
      'tenant:region:service:job:non-legacy',
      'tenant:region:service:job:1000',
      'a:b:c:d',
      'a:b:::',
      'x:y:::@daily',
      'x:y:1.5::100',
      'x:y::::1000',
      'plain',
    ]) {
      expect([other, hasLegacyRepeatableKeyShape(other)]).toEqual([other, false]);
    }
    expect(isLegacyRepeatableJobKey).toBe(hasLegacyRepeatableKeyShape);
  });
});
