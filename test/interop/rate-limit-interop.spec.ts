// Rate limits and global concurrency across engines (wire-format §5, §10.2, §10.3): a limit set
// through one side holds the other side's workers, and both read the same settings back.
import { Queue as BullQueue, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { expectRate, TOLERANCE_MS, work } from '../support/rates.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

describe('interop: rate limits and global concurrency', () => {
  const scope = scopePerTest('interop');

  it('a bullmq worker and a Conveyor worker with the same limiter share one window', async () => {
    const name = scope.name('rl-mixed');
    const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
    for (let i = 0; i < 10; i++) await producer.add('j', { i });
    const limiter = { max: 2, duration: 500 };
    const starts: { side: string; at: number }[] = [];
    let completed = 0;
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const processor = (side: string) => async (job: Job | BullJob) => {
      starts.push({ side, at: job.processedOn! });
      await work(40);
      if (++completed === 10) allDone();
    };
    scope.track(new BullWorker(name, processor('bullmq'), { connection: bullConnection(), limiter }));
    scope.track(new Worker(name, processor('conveyor'), { connection: conveyorConnection(), limiter }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${completed} of 10 jobs ran`)), 15_000);
    });
    await Promise.race([done, timeout]).finally(() => clearTimeout(timer));
    expectRate(
      starts.map((s) => s.at),
      2,
      500,
    );
    expect(new Set(starts.map((s) => s.side))).toEqual(new Set(['bullmq', 'conveyor']));
  });

  it('a global rate limit set through Conveyor holds a bullmq worker, and bullmq reads it back', async () => {
    const name = scope.name('rl-global-c2b');
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    await ours.setGlobalRateLimit(2, 500);
    expect(await bull.getGlobalRateLimit()).toEqual({ max: 2, duration: 500 });
    for (let i = 0; i < 6; i++) await ours.add('j', { i });
    const worker = scope.track(new BullWorker(name, async () => 'ok', { connection: bullConnection(), concurrency: 6 }));
    const done = await times(worker, 'completed', 6, 10_000);
    expectRate(
      done.map(([job]) => (job as BullJob).processedOn!),
      2,
      500,
    );

    await bull.removeGlobalRateLimit();
    expect(await ours.getGlobalRateLimit()).toBeNull();
    await bull.setGlobalRateLimit(7, 900);
    expect(await ours.getGlobalRateLimit()).toEqual({ max: 7, duration: 900 });
  });

  it('a global concurrency set through Conveyor holds a wide bullmq worker, and bullmq reads it back', async () => {
    const name = scope.name('gc-c2b');
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    await ours.setGlobalConcurrency(1);
    expect(await bull.getGlobalConcurrency()).toBe(1);
    for (let i = 0; i < 6; i++) await ours.add('j', { i });
    let running = 0;
    let most = 0;
    const worker = scope.track(
      new BullWorker(
        name,
        async () => {
          running += 1;
          most = Math.max(most, running);
          await work(20);
          running -= 1;
        },
        { connection: bullConnection(), concurrency: 4 },
      ),
    );
    await times(worker, 'completed', 6, 10_000);
    expect(most).toBe(1);
    expect(await ours.isMaxed()).toBe(false);
    expect(await bull.isMaxed()).toBe(false);

    await bull.setGlobalConcurrency(3);
    expect(await ours.getGlobalConcurrency()).toBe(3);
    await ours.removeGlobalConcurrency();
    expect(await bull.getGlobalConcurrency()).toBeNull();
  });

  it("a manual rate limit from either side holds the other side's limited workers", async () => {
    const name = scope.name('rl-manual');
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const limiter = { max: 10, duration: 1000 };

    let limitedAt = Date.now();
    await ours.rateLimit(700);
    await ours.add('j', {});
    const bullWorker = scope.track(new BullWorker(name, async () => 'bull', { connection: bullConnection(), limiter }));
    const [bullJob] = await once(bullWorker, 'completed', 5000);
    expect(bullJob.processedOn - limitedAt).toBeGreaterThanOrEqual(700 - TOLERANCE_MS);
    await bullWorker.close();

    limitedAt = Date.now();
    await bull.rateLimit(700);
    await bull.add('j', {});
    const worker = scope.track(new Worker(name, async () => 'ours', { connection: conveyorConnection(), limiter }));
    const [ourJob] = await once(worker, 'completed', 5000);
    expect(ourJob.processedOn! - limitedAt).toBeGreaterThanOrEqual(700 - TOLERANCE_MS);
  });

  it('getRateLimitTtl agrees with bullmq on the same limiter states', async () => {
    const name = scope.name('rl-ttl');
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const limiter = `bull:${name}:limiter`;
    /** Both answers, TTLs rounded to seconds so the read order does not matter (-2/-1 kept). */
    const both = async (maxJobs?: number) => {
      const answers = [await ours.getRateLimitTtl(maxJobs), await bull.getRateLimitTtl(maxJobs)];
      return answers.map((ttl) => (ttl > 0 ? Math.round(ttl / 1000) : ttl));
    };
    expect(await both()).toEqual([-2, -2]);
    expect(await both(2)).toEqual([0, 0]);
    await scope.redis.set(limiter, 3);
    expect(await both()).toEqual([-1, -1]);
    expect(await both(3)).toEqual([0, 0]);
    await scope.redis.set(limiter, 3, 'PX', 5000);
    expect(await both()).toEqual([5, 5]);
    expect(await both(3)).toEqual([5, 5]);
    expect(await both(4)).toEqual([0, 0]);
    await bull.setGlobalRateLimit(3, 1000);
    expect(await both()).toEqual([5, 5]);
    await ours.setGlobalRateLimit(4, 1000);
    expect(await both()).toEqual([0, 0]);
    expect(await ours.removeRateLimitKey()).toBe(1);
    expect(await bull.removeRateLimitKey()).toBe(0);
  });

  it('RateLimitError: a Conveyor worker hands the job back exactly as a bullmq worker does', async () => {
    const run = async (side: 'bullmq' | 'conveyor') => {
      const name = scope.name(`rl-error-${side}`);
      const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
      await producer.add('a', {}, { priority: 2 });
      await producer.add('b', {}, { priority: 2 });
      await producer.add('c', {});
      const order: string[] = [];
      let limitedAt = 0;
      const processor = (rateLimit: (ms: number) => Promise<void>, error: () => Error) => async (job: Job | BullJob) => {
        order.push(job.name);
        if (order.length === 2) {
          await rateLimit(500);
          limitedAt = Date.now();
          throw error();
        }
        return job.name;
      };
      let worker: Worker | BullWorker;
      if (side === 'bullmq') {
        const w: BullWorker = new BullWorker(
          name,
          processor(
            (ms) => w.rateLimit(ms),
            () => BullWorker.RateLimitError(),
          ),
          {
            connection: bullConnection(),
          },
        );
        worker = w;
      } else {
        const w: Worker = new Worker(
          name,
          processor(
            (ms) => w.rateLimit(ms),
            () => Worker.RateLimitError(),
          ),
          {
            connection: conveyorConnection(),
          },
        );
        worker = w;
      }
      scope.track(worker);
      const done = await times(worker, 'completed', 3, 10_000);
      const restarted = done.map(([job]) => job as Job | BullJob).find((job) => job.name === 'a')!;
      expect(restarted.processedOn! - limitedAt).toBeGreaterThanOrEqual(500 - TOLERANCE_MS);
      const hashes = await Promise.all(['1', '2', '3'].map((id) => scope.redis.hmget(`bull:${name}:${id}`, 'ats', 'atm')));
      const events = (await streamEvents(scope.redis, name)).map((e) => `${e.event} ${e.jobId ?? ''} ${e.prev ?? ''}`.trim());
      return { order, hashes, events };
    };
    const bull = await run('bullmq');
    const ours = await run('conveyor');
    expect(bull.order).toEqual(['c', 'a', 'a', 'b']);
    expect(ours).toEqual(bull);
  });
});
