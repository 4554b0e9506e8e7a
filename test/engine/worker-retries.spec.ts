// Failed attempts: attempts and backoff (fixed, exponential, jitter, custom, -1, unknown types),
// UnrecoverableError, non-Error throws, stacktraces.
import { backoffDelay, planRetry } from '../../lib/engine/job/backoff.js';
import { Queue, UnrecoverableError, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

/** `delayed` stream entries of a job as (due time − time the entry was written), in ms. */
async function retryDelays(scope: Scope, name: string, jobId: string): Promise<number[]> {
  const entries = await scope.redis.xrange(`bull:${name}:events`, '-', '+');
  const delays: number[] = [];
  for (const [id, fields] of entries) {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    if (f.event === 'delayed' && f.jobId === jobId) delays.push(Number(f.delay) - Number(id.split('-')[0]));
  }
  return delays;
}

describe('Worker retries and failures', () => {
  const scope = scopePerTest();

  it('retries at once while attempts remain, then fails for good', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    let calls = 0;
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          calls += 1;
          throw new Error(`boom ${calls}`);
        },
        { connection: connection() },
      ),
    );
    const failedEvents = times<[Job, Error, string]>(worker, 'failed', 3);
    const job = await queue.add('j', {}, { attempts: 3 });
    const failed = await failedEvents;
    expect(failed.map(([j, err, prev]) => [j.attemptsMade, err.message, prev])).toEqual([
      [1, 'boom 1', 'active'],
      [2, 'boom 2', 'active'],
      [3, 'boom 3', 'active'],
    ]);
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.attemptsMade).toBe(3);
    expect(stored!.attemptsStarted).toBe(3);
    expect(stored!.failedReason).toBe('boom 3');
    expect(stored!.stacktrace).toHaveLength(3);
    expect(stored!.stacktrace[0]).toContain('boom 1');
    const events = (await scope.redis.xrange(`bull:${name}:events`, '-', '+')).map(([, f]) => f[1]);
    // retried attempts go back to waiting; only the last one is a stream 'failed'
    expect(events.filter((e) => e === 'failed')).toHaveLength(1);
    expect(events.filter((e) => e === 'retries-exhausted')).toHaveLength(1);
  });

  it('fixed and exponential backoff delay the retries by the computed time', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          if (job.attemptsMade < 2) throw new Error('again');
          return job.attemptsMade;
        },
        { connection: connection() },
      ),
    );
    const fixed = await queue.add('fixed', {}, { attempts: 3, backoff: 300 });
    const exponential = await queue.add('exp', {}, { attempts: 3, backoff: { type: 'exponential', delay: 200 } });
    const done = times<[Job]>(worker, 'completed', 2, 10000);
    const completed = await done;
    expect(completed.map(([j]) => j.name).sort()).toEqual(['exp', 'fixed']);
    const fixedDelays = await retryDelays(scope, name, fixed.id!);
    const expDelays = await retryDelays(scope, name, exponential.id!);
    expect(fixedDelays).toHaveLength(2);
    expect(expDelays).toHaveLength(2);
    // due time − write time: at most the delay, less only by the trip to Redis
    for (const d of fixedDelays) expect(d).toBeGreaterThan(200);
    for (const d of fixedDelays) expect(d).toBeLessThanOrEqual(300);
    expect(expDelays[0]).toBeGreaterThan(100);
    expect(expDelays[0]).toBeLessThanOrEqual(200);
    expect(expDelays[1]).toBeGreaterThan(300);
    expect(expDelays[1]).toBeLessThanOrEqual(400);
    const stored = await queue.getJob(exponential.id!);
    expect(stored!.processedOn! - stored!.timestamp).toBeGreaterThanOrEqual(600);
  });

  it('jitter spreads the delay over [delay·(1−jitter), delay]', async () => {
    const job = { opts: {} } as Job;
    const err = new Error('x');
    const fixed = await Promise.all(
      Array.from({ length: 300 }, () => backoffDelay({ type: 'fixed', delay: 1000, jitter: 0.5 }, 1, err, job)),
    );
    expect(Math.min(...(fixed as number[]))).toBeGreaterThanOrEqual(500);
    expect(Math.max(...(fixed as number[]))).toBeLessThanOrEqual(1000);
    // spread, not a constant
    expect(new Set(fixed).size).toBeGreaterThan(50);
    const exp = await Promise.all(
      Array.from({ length: 300 }, () => backoffDelay({ type: 'exponential', delay: 100, jitter: 1 }, 3, err, job)),
    );
    expect(Math.min(...(exp as number[]))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...(exp as number[]))).toBeLessThanOrEqual(400);
    expect(await backoffDelay({ type: 'exponential', delay: 100 }, 3, err, job)).toBe(400);
  });

  it('a jittered backoff job is retried within its window', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          if (job.attemptsMade === 0) throw new Error('once');
        },
        { connection: connection() },
      ),
    );
    const done = once(worker, 'completed');
    const job = await queue.add('j', {}, { attempts: 2, backoff: { type: 'fixed', delay: 400, jitter: 0.5 } });
    await done;
    const [delay] = await retryDelays(scope, name, job.id!);
    expect(delay).toBeGreaterThan(100);
    expect(delay).toBeLessThanOrEqual(400);
  });

  it.each([
    ['fixed', { type: 'fixed', delay: 300 }, [300, 300]],
    ['exponential', { type: 'exponential', delay: 100 }, [100, 200]],
  ])(
    "a retry's backoff is the 'failed' job's delay and the stored one (as BullMQ writes it); 0 once taken again and after the last failure (%s)",
    async (_label, backoff, expected) => {
      const name = scope.name();
      const queue = scope.track(new Queue(name, { connection: connection() }));
      const atStart: string[] = [];
      const worker = scope.track(
        new Worker(
          name,
          async (job) => {
            atStart.push(`${job.delay}/${await scope.redis.hget(job.key, 'delay')}`);
            throw new Error('boom');
          },
          { connection: connection() },
        ),
      );
      const seen: [number, number, string | null][] = [];
      worker.on('failed', (job) => {
        void scope.redis.hget(job!.key, 'delay').then((stored) => seen.push([job!.attemptsMade, job!.delay, stored]));
      });
      const failures = times<[Job]>(worker, 'failed', 3, 8000);
      const job = await queue.add('j', {}, { attempts: 3, backoff });
      await failures;
      await until(
        'the three failures to be read',
        () => seen.length,
        (n) => n === 3,
      );
      expect(seen.sort()).toEqual([
        [1, expected[0], String(expected[0])],
        [2, expected[1], String(expected[1])],
        [3, 0, '0'],
      ]);
      expect(atStart).toEqual(['0/0', '0/0', '0/0']);
      expect((await queue.getJob(job.id!))!.delay).toBe(0);
    },
  );

  it('a custom backoff strategy gets (attemptsMade, type, err, job); -1 stops retrying', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection(), customBackoffTypes: ['linear'] }));
    const seen: [number, string | undefined, string, string | undefined][] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          throw new Error(`fail ${job.attemptsMade + 1}`);
        },
        {
          connection: connection(),
          settings: {
            backoffStrategy: (attemptsMade, type, err, job) => {
              seen.push([attemptsMade, type, err.message, job.id]);
              return attemptsMade < 2 ? attemptsMade * 150 : -1;
            },
          },
        },
      ),
    );
    const failed = times<[Job, Error]>(worker, 'failed', 2);
    const job = await queue.add('j', {}, { attempts: 10, backoff: { type: 'linear' } });
    await failed;
    expect(seen).toEqual([
      [1, 'linear', 'fail 1', job.id],
      [2, 'linear', 'fail 2', job.id],
    ]);
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.attemptsMade).toBe(2);
    expect(stored!.failedReason).toBe('fail 2');
    const [delay] = await retryDelays(scope, name, job.id!);
    expect(delay).toBeGreaterThan(50);
    expect(delay).toBeLessThanOrEqual(150);
  });

  it('an unknown backoff type without a strategy fails the job with a reason that says so', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection(), customBackoffTypes: ['mystery'] }));
    let calls = 0;
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          calls += 1;
          throw new Error('original problem');
        },
        { connection: connection() },
      ),
    );
    const failed = once<[Job, Error]>(worker, 'failed');
    const job = await queue.add('j', {}, { attempts: 5, backoff: { type: 'mystery', delay: 10 } });
    const [failedJob, err] = await failed;
    expect(err.message).toBe(failedJob.failedReason);
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(calls).toBe(1);
    expect(stored!.attemptsMade).toBe(1);
    expect(stored!.failedReason).toMatch(/Unknown backoff type "mystery"/);
    expect(stored!.failedReason).toMatch(/backoffStrategy/);
    expect(stored!.failedReason).toMatch(/original problem/);
  });

  it('a strategy that throws or returns garbage fails the job with a reason', async () => {
    const job = { attemptsMade: 0, attemptsStarted: 1, opts: { attempts: 3, backoff: { type: 'odd' } } } as unknown as Job;
    const err = new Error('first');
    await expect(
      planRetry(job, err, {
        unrecoverable: false,
        strategy: () => {
          throw new Error('strategy broke');
        },
      }),
    ).resolves.toEqual({
      retry: false,
      reason: expect.stringMatching(/backoffStrategy threw.*strategy broke.*first/),
    });
    await expect(planRetry(job, err, { unrecoverable: false, strategy: () => Number.NaN })).resolves.toEqual({
      retry: false,
      reason: expect.stringMatching(/returned NaN|returned null/),
    });
    await expect(planRetry(job, err, { unrecoverable: false, strategy: () => 25.4 })).resolves.toEqual({ retry: true, delay: 25 });
    // as in BullMQ: a strategy's undefined retries at once, a numeric string is its number
    await expect(planRetry(job, err, { unrecoverable: false, strategy: () => undefined })).resolves.toEqual({ retry: true, delay: 0 });
    await expect(planRetry(job, err, { unrecoverable: false, strategy: () => '120' as never })).resolves.toEqual({
      retry: true,
      delay: 120,
    });
    await expect(planRetry(job, err, { unrecoverable: false, strategy: () => 'soon' as never })).resolves.toEqual({
      retry: false,
      reason: expect.stringMatching(/returned "soon"/),
    });
    await expect(planRetry(job, err, { unrecoverable: true, strategy: () => 25 })).resolves.toEqual({ retry: false });
  });

  it("a processor that replaced its job's moveToFailed has the failure go through it: when that throws, an 'error' and no 'failed' (as in BullMQ)", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          job.moveToFailed = async () => {
            throw new Error('could not lock job: the lock is gone');
          };
          throw new Error('processing error');
        },
        { connection: connection() },
      ),
    );
    const failed: Job[] = [];
    worker.on('failed', (job) => failed.push(job!));
    const error = once<[Error]>(worker, 'error');
    const job = await queue.add('j', {});
    expect((await error)[0].message).toBe('could not lock job: the lock is gone');
    expect(failed).toEqual([]);
    // nothing was stored: the job stays in active until its lock expires and it stalls
    expect(await queue.getJobState(job.id!)).toBe('active');
  });

  it('UnrecoverableError fails the job at once, whatever attempts remain', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    let calls = 0;
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          calls += 1;
          throw new UnrecoverableError('give up');
        },
        { connection: connection() },
      ),
    );
    const failed = once<[Job, Error]>(worker, 'failed');
    const job = await queue.add('j', {}, { attempts: 5, backoff: 10 });
    const [, err] = await failed;
    expect(err).toBeInstanceOf(UnrecoverableError);
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.failedReason).toBe('give up');
    expect(calls).toBe(1);
  });

  it.each([
    ['a string', 'plain words', /^plain words$/],
    ['undefined', undefined, /undefined/],
    ['null', null, /null/],
    ['a plain object', { code: 42 }, /\{"code":42\}/],
    ['an object with a message', { message: 'from object' }, /^from object$/],
    ['a number', 7, /7/],
  ])('a processor that throws %s gives a readable failedReason', async (_label, thrown, expected) => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          throw thrown;
        },
        { connection: connection() },
      ),
    );
    const failed = once<[Job, Error]>(worker, 'failed');
    const job = await queue.add('j', {});
    const [, err] = await failed;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(expected);
    const stored = await queue.getJob(job.id!);
    expect(stored!.failedReason).toMatch(expected);
    expect(stored!.stacktrace).toEqual([]);
  });

  it('stackTraceLimit keeps the newest stacks; 0 keeps none', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          throw new Error(`${job.name} attempt ${job.attemptsMade + 1}`);
        },
        { connection: connection() },
      ),
    );
    const failed = times<[Job]>(worker, 'failed', 8);
    const limited = await queue.add('limited', {}, { attempts: 4, stackTraceLimit: 2 });
    const none = await queue.add('none', {}, { attempts: 2, stackTraceLimit: 0 });
    const unlimited = await queue.add('unlimited', {}, { attempts: 2 });
    await failed;
    const l = await queue.getJob(limited.id!);
    expect(l!.stacktrace).toHaveLength(2);
    expect(l!.stacktrace[0]).toContain('limited attempt 3');
    expect(l!.stacktrace[1]).toContain('limited attempt 4');
    expect((await queue.getJob(none.id!))!.stacktrace).toEqual([]);
    expect(await scope.redis.hget(`bull:${name}:${none.id}`, 'stacktrace')).toBe('[]');
    const u = await queue.getJob(unlimited.id!);
    expect(u!.stacktrace).toHaveLength(2);
    expect(u!.stacktrace[1]).toMatch(/^Error: unlimited attempt 2\n\s+at /);
  });

  it('a return value that is not JSON fails the job with a reason instead of crashing', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(new Worker(name, async () => ({ big: 10n }), { connection: connection() }));
    const failed = once<[Job, Error]>(worker, 'failed');
    const job = await queue.add('j', {});
    await failed;
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.failedReason).toMatch(/return value of job .* cannot be stored as JSON/);
  });
});
