// Rate limits (wire-format §10.2): the worker limiter shared by every worker of a queue, the
// manual limit (worker.rateLimit / queue.rateLimit + RateLimitError), the global rate limit in meta,
// and the getters. Rates are asserted with tolerances, never exact times.
import { ConveyorValidationError, RateLimitError, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { expectRate, TOLERANCE_MS, work } from '../support/rates.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { until } from '../support/wait.js';

describe('worker limiter', () => {
  const scope = scopePerTest();

  it('starts at most max jobs per duration, and no slower than the windows allow', async () => {
    const name = scope.name('rl-worker');
    const queue = scope.queue(name);
    for (let i = 0; i < 9; i++) await queue.add('j', { i });
    // no slower than the windows allow: three windows take about 1200 ms, while a worker that
    // waited out its drainDelay (a minute here) between them would miss the 10 s below by far
    const worker = scope.track(
      new Worker(name, async () => 'ok', { connection: connection(), concurrency: 5, limiter: { max: 3, duration: 600 }, drainDelay: 60 }),
    );
    const done = await times(worker, 'completed', 9, 10_000);
    const starts = done.map(([job]) => (job as Job).processedOn!);
    expectRate(starts, 3, 600);
    expect(Number(await scope.redis.get(`bull:${name}:limiter`))).toBeLessThanOrEqual(3);
  });

  it('maximumRateLimitDelay caps a rate-limit wait: the next fetch promotes delayed jobs that came due, the limit still holds', async () => {
    const name = scope.name('rl-max-delay');
    const queue = scope.queue(name);
    await queue.addBulk([
      { name: 'w', data: {} },
      { name: 'w', data: {} },
    ]);
    await queue.add('d', {}, { delay: 200 });
    const worker = scope.track(
      new Worker(name, async () => 'ok', { connection: connection(), limiter: { max: 1, duration: 60_000 }, maximumRateLimitDelay: 600 }),
    );
    // every rate-limit wait goes through delay(): none may be longer than maximumRateLimitDelay
    const waits: number[] = [];
    const delay = worker.delay.bind(worker);
    worker.delay = (ms?: number, controller?: AbortController) => {
      waits.push(ms ?? 0);
      return delay(ms, controller);
    };
    await once(worker, 'completed');
    // promoted by the fetch after at most 600 ms, not when the minute's window ends
    await until(
      'the delayed job to be promoted',
      () => queue.getDelayedCount(),
      (n) => n === 0,
      10_000,
    );
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(600);
    expect(await queue.getWaitingCount()).toBe(2);
    expect(await queue.getCompletedCount()).toBe(1);
  });

  it('is shared by all workers of the queue: two workers together stay within max per duration', async () => {
    const name = scope.name('rl-shared');
    const queue = scope.queue(name);
    for (let i = 0; i < 10; i++) await queue.add('j', { i });
    const opts = { connection: connection(), autorun: false, limiter: { max: 2, duration: 500 } };
    const processor = async () => {
      await work(40);
      return 'ok';
    };
    const a = scope.track(new Worker(name, processor, opts));
    const b = scope.track(new Worker(name, processor, opts));
    const starts: { worker: string; at: number }[] = [];
    a.on('active', (job: Job) => starts.push({ worker: 'a', at: job.processedOn! }));
    b.on('active', (job: Job) => starts.push({ worker: 'b', at: job.processedOn! }));
    let completed = 0;
    const all = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${completed} of 10 jobs completed`)), 15_000);
      const count = () => {
        if (++completed === 10) {
          clearTimeout(timer);
          resolve();
        }
      };
      a.on('completed', count);
      b.on('completed', count);
    });
    void a.run();
    void b.run();
    await all;
    expectRate(
      starts.map((s) => s.at),
      2,
      500,
    );
    // both took part, so the limit really held across workers
    expect(new Set(starts.map((s) => s.worker))).toEqual(new Set(['a', 'b']));
  });
});

describe('manual rate limit and RateLimitError', () => {
  const scope = scopePerTest();

  it('Worker.RateLimitError() is the RateLimitError BullMQ throws', () => {
    const error = Worker.RateLimitError();
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.message).toBe('bullmq:rateLimitExceeded');
  });

  it('hands the job back in front, uses no attempt, emits no failure and waits the limit out', async () => {
    const name = scope.name('rl-error');
    const queue = scope.queue(name);
    await queue.add('a', {});
    await queue.add('b', {});
    const seen: string[] = [];
    let limitedAt = 0;
    const worker: Worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          seen.push(`${job.name} ats=${job.attemptsStarted} atm=${job.attemptsMade}`);
          if (seen.length === 1) {
            await worker.rateLimit(800);
            limitedAt = Date.now();
            throw Worker.RateLimitError();
          }
          return job.name;
        },
        { connection: connection() },
      ),
    );
    const failed: string[] = [];
    worker.on('failed', (job: Job) => failed.push(job.id!));
    const [[first], [second]] = await times(worker, 'completed', 2, 10_000);

    expect(seen).toEqual(['a ats=1 atm=0', 'a ats=2 atm=0', 'b ats=1 atm=0']);
    expect(first.name).toBe('a');
    expect(second.name).toBe('b');
    expect(failed).toEqual([]);
    expect(first.processedOn! - limitedAt).toBeGreaterThanOrEqual(800 - TOLERANCE_MS);
    const hash = await scope.redis.hgetall(`bull:${name}:${first.id}`);
    expect([hash.ats, hash.atm]).toEqual(['2', '1']);
    const events = (await streamEvents(scope.redis, name)).map((e) => `${e.event} ${e.jobId ?? ''} ${e.prev ?? ''}`.trim());
    expect(events.slice(0, 7)).toEqual([
      'added 1',
      'waiting 1',
      'added 2',
      'waiting 2',
      'active 1 waiting',
      'waiting 1 active',
      'active 1 waiting',
    ]);
  });

  it('sends no command while it waits out the limit', async () => {
    const name = scope.name('rl-quiet');
    const queue = scope.queue(name);
    await queue.add('a', {});
    const sent: { name: string; at: number }[] = [];
    let limitedAt = 0;
    let sentBeforeLimit = 0;
    let attempts = 0;
    const worker: Worker = scope.track(
      new Worker(
        name,
        async () => {
          if (++attempts === 1) {
            await worker.rateLimit(1000);
            limitedAt = Date.now();
            sentBeforeLimit = sent.length;
            throw Worker.RateLimitError();
          }
        },
        { connection: connection(), autorun: false },
      ),
    );
    // every command the worker sends on its command connection, with the time it went out
    const client = await worker.client;
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push({ name: command.name, at: Date.now() });
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof client.sendCommand;
    const completed = once(worker, 'completed', 10_000);
    void worker.run();
    const [job] = await completed;
    // between the limit and the next fetch only the hand-back went out (an EVAL too if the
    // server had not cached the script yet): no polling
    const during = sent
      .slice(sentBeforeLimit)
      .filter((c) => c.at < job.processedOn!)
      .map((c) => c.name);
    expect(during.length).toBeGreaterThanOrEqual(1);
    expect(during.length).toBeLessThanOrEqual(2);
    expect(during.every((c) => c === 'evalsha' || c === 'eval')).toBe(true);
    expect(job.processedOn! - limitedAt).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
  });

  it('puts a prioritized job back in front of its priority', async () => {
    const name = scope.name('rl-priority');
    const queue = scope.queue(name);
    await queue.add('first', {}, { priority: 2 });
    await queue.add('second', {}, { priority: 2 });
    const seen: string[] = [];
    const worker: Worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          seen.push(job.name);
          if (seen.length === 1) {
            await worker.rateLimit(200);
            throw Worker.RateLimitError();
          }
        },
        { connection: connection() },
      ),
    );
    await times(worker, 'completed', 2, 10_000);
    expect(seen).toEqual(['first', 'first', 'second']);
  });

  it('queue.rateLimit holds workers that have a limiter, and not those without (§10.2)', async () => {
    const name = scope.name('rl-queue');
    const queue = scope.queue(name);
    const limitedAt = Date.now();
    await queue.rateLimit(700);
    expect(await scope.redis.get(`bull:${name}:limiter`)).toBe(String(Number.MAX_SAFE_INTEGER));
    await queue.add('j', {});
    const limited = scope.track(new Worker(name, async () => 'ok', { connection: connection(), limiter: { max: 5, duration: 1000 } }));
    const [job] = await once(limited, 'completed', 5000);
    expect(job.processedOn! - limitedAt).toBeGreaterThanOrEqual(700 - TOLERANCE_MS);
    await limited.close();

    await queue.rateLimit(60_000);
    const unlimited = scope.track(new Worker(name, async () => 'ok', { connection: connection() }));
    // held, it would wait out the minute's limit
    await queue.add('j', {});
    await once(unlimited, 'completed', 5000);
    expect(await queue.getRateLimitTtl()).toBeGreaterThan(50_000);
  });
});

describe('global rate limit and the rate limit getters', () => {
  const scope = scopePerTest();

  it('setGlobalRateLimit limits workers without a limiter; removeGlobalRateLimit lifts it', async () => {
    const name = scope.name('rl-global');
    const queue = scope.queue(name);
    expect(await queue.getGlobalRateLimit()).toBeNull();
    expect(await queue.setGlobalRateLimit(2, 500)).toBe(2);
    expect(await queue.getGlobalRateLimit()).toEqual({ max: 2, duration: 500 });
    expect(await scope.redis.hmget(`bull:${name}:meta`, 'max', 'duration')).toEqual(['2', '500']);
    for (let i = 0; i < 6; i++) await queue.add('j', { i });
    const worker = scope.track(new Worker(name, async () => 'ok', { connection: connection(), concurrency: 6 }));
    const limited = await times(worker, 'completed', 6, 10_000);
    expectRate(
      limited.map(([job]) => (job as Job).processedOn!),
      2,
      500,
    );

    expect(await queue.removeGlobalRateLimit()).toBe(2);
    expect(await queue.getGlobalRateLimit()).toBeNull();
    expect(await scope.redis.hmget(`bull:${name}:meta`, 'max', 'duration')).toEqual([null, null]);
    // a running limit no longer holds a worker without a max: one still limited would wait out
    // this minute's window (and miss the 5 s below); the window is left as queue.rateLimit set it
    await queue.rateLimit(60_000);
    for (let i = 0; i < 6; i++) await queue.add('j', { i });
    await times(worker, 'completed', 6, 5000);
    expect(await scope.redis.get(`bull:${name}:limiter`)).toBe(String(Number.MAX_SAFE_INTEGER));
  });

  it('getRateLimitTtl and removeRateLimitKey answer as bullmq 6.7 does', async () => {
    const name = scope.name('rl-getters');
    const queue = scope.queue(name);
    const limiter = `bull:${name}:limiter`;
    // no window and no max: Redis' PTTL of a missing key, as bullmq answers
    expect(await queue.getRateLimitTtl()).toBe(-2);
    expect(await queue.getRateLimitTtl(5)).toBe(0);
    expect(await queue.removeRateLimitKey()).toBe(0);

    await queue.rateLimit(2000);
    const ttl = await queue.getRateLimitTtl();
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
    expect(await queue.getRateLimitTtl(5)).toBeGreaterThan(1000);
    expect(await queue.removeRateLimitKey()).toBe(1);
    expect(await queue.getRateLimitTtl(1)).toBe(0);
    // a window without expiry counts only where no max is known
    await scope.redis.set(limiter, 7);
    expect(await queue.getRateLimitTtl()).toBe(-1);
    expect(await queue.getRateLimitTtl(7)).toBe(0);

    // a window with 2 starts: used up for a max of 2, not for the global max of 4
    await scope.redis.set(limiter, 2, 'PX', 3000);
    await queue.setGlobalRateLimit(4, 1000);
    expect(await queue.getRateLimitTtl()).toBe(0);
    expect(await queue.getRateLimitTtl(2)).toBeGreaterThan(1000);
    expect(await queue.getRateLimitTtl(3)).toBe(0);
    // without any max, a running window counts as a limit
    await queue.removeGlobalRateLimit();
    expect(await queue.getRateLimitTtl()).toBeGreaterThan(1000);
  });

  it('rejects bad limits with a clear error and writes nothing', async () => {
    const name = scope.name('rl-bad');
    const queue = scope.queue(name);
    await queue.setGlobalRateLimit(3, 1000);
    const worker = scope.track(new Worker(name, null, { connection: connection(), autorun: false }));
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => queue.rateLimit(0), /expireTimeMs must be >= 1, got 0/],
      [() => queue.rateLimit(1.5), /expireTimeMs must be an integer, got 1.5/],
      [() => queue.rateLimit('100' as never), /expireTimeMs must be an integer, got "100"/],
      [() => worker.rateLimit(-1), /expireTimeMs must be >= 1, got -1/],
      [() => queue.getRateLimitTtl(0), /maxJobs must be >= 1, got 0/],
      [() => queue.setGlobalRateLimit(0, 100), /max must be >= 1, got 0/],
      [() => queue.setGlobalRateLimit(2, 0), /duration must be >= 1, got 0/],
      [() => queue.setGlobalRateLimit(2, NaN), /duration must be an integer, got NaN/],
    ];
    for (const [call, message] of cases) {
      const before = await snapshotQueue(scope.redis, name);
      const error = await call().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(ConveyorValidationError);
      expect(error?.message).toMatch(message);
      expect(await snapshotQueue(scope.redis, name)).toEqual(before);
    }
  });
});
