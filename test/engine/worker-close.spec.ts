// close(): stops fetching, hands back what a fetch in flight brings, waits for active jobs, closes
// only its own connections. close(true), as on bullmq 6.7: does not wait, leaves the jobs in hand
// in active for the stalled checker, and a processor that ends later changes nothing.
// close(true, { requeue: true }) (Conveyor's own): aborts and hands back to wait at once.
import { Redis } from 'ioredis';
import { loadScript } from '../../lib/engine/core/scripts.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { deferred, until, within } from '../support/wait.js';

type EvalSha = (...args: unknown[]) => Promise<unknown>;

/** A client of our own whose EVALSHA of `script` runs `hook` right after the call is sent. */
function hookedClient(scope: Scope, script: string, hook: () => void): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  scope.track({ close: async () => client.disconnect() });
  const sha = loadScript(script).sha;
  const original = client.evalsha.bind(client) as EvalSha;
  let armed = true;
  (client as unknown as { evalsha: EvalSha }).evalsha = (...args) => {
    const reply = original(...args);
    if (armed && args[0] === sha) {
      armed = false;
      hook();
    }
    return reply;
  };
  return client;
}

async function state(queue: Queue, id: string): Promise<string> {
  return (await queue.getJob(id))!.getState();
}

describe('Worker close', () => {
  const scope = scopePerTest();

  /** A worker whose processor never ends, holding one job, with a close() already waiting for it. */
  async function gentleCloseWithJobInHand() {
    const queue = scope.queue();
    const never = scope.gate();
    const worker = scope.track(new Worker(queue.name, async () => never.promise, { connection: connection() }));
    const active = once(worker, 'active');
    const job = await queue.add('j', {});
    await active;
    const gentle = worker.close();
    await once(worker, 'closing');
    return { queue, worker, job, gentle };
  }

  it('close() waits for active jobs, fetches nothing more, and closes only its own connection', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const ran: string[] = [];
    const worker = new Worker(
      name,
      async (job) => {
        ran.push(job.name);
        await gate.promise;
        return 'finished';
      },
      { connection: connection() },
    );
    scope.track(worker);
    const active = once(worker, 'active');
    const first = await queue.add('first', {});
    await active;
    const second = await queue.add('second', {});
    let closed = false;
    const closing = worker.close().then(() => {
      closed = true;
    });
    await once(worker, 'closing');
    expect(closed).toBe(false);
    expect(worker.isRunning()).toBe(false);
    gate.resolve();
    await within(closing, 5000, 'close()');
    expect(await state(queue, first.id!)).toBe('completed');
    expect(await state(queue, second.id!)).toBe('waiting');
    expect(ran).toEqual(['first']);
    expect(await scope.redis.hget(`bull:${name}:${second.id}`, 'ats')).toBeNull();
    const own = (worker as unknown as { connection: { client: Redis } }).connection.client;
    expect(own.status).toBe('end');
  });

  it('a client passed in is never closed', async () => {
    const name = scope.name();
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    scope.track({ close: async () => client.quit() });
    const worker = new Worker(name, async () => 1, { connection: client });
    await once(worker, 'ready');
    await worker.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
  });

  it('a fetch in flight when close() begins puts its jobs back in wait at once', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const jobs = await queue.addBulk([1, 2].map((n) => ({ name: 'j', data: { n } })));
    let closing: Promise<void> | undefined;
    let calls = 0;
    const worker: Worker = new Worker(
      name,
      async () => {
        calls += 1;
      },
      {
        connection: hookedClient(scope, 'moveToActive', () => {
          closing = worker.close();
        }),
        concurrency: 2,
        autorun: false,
      },
    );
    scope.track(worker);
    const running = worker.run();
    await within(running, 5000, 'run() after close()');
    await within(closing!, 5000, 'close()');
    expect(calls).toBe(0);
    for (const job of jobs) expect(await state(queue, job.id!)).toBe('waiting');
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(0);
    expect(await scope.redis.exists(`bull:${name}:${jobs[0].id}:lock`, `bull:${name}:${jobs[1].id}:lock`)).toBe(0);
    // back where they were: the first job still runs first
    expect(await scope.redis.lrange(`bull:${name}:wait`, 0, -1)).toEqual([jobs[1].id, jobs[0].id]);
  });

  it('a finish in flight when close() begins hands back the job its fetch-next took', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const [first, second] = await queue.addBulk([1, 2].map((n) => ({ name: 'j', data: { n } })));
    let closing: Promise<void> | undefined;
    const ran: string[] = [];
    const worker: Worker = new Worker(
      name,
      async (job) => {
        ran.push(job.id!);
      },
      {
        connection: hookedClient(scope, 'moveToFinished', () => {
          closing = worker.close();
        }),
        autorun: false,
      },
    );
    scope.track(worker);
    void worker.run();
    await once(worker, 'completed');
    await within(closing!, 5000, 'close()');
    expect(ran).toEqual([first.id]);
    expect(await state(queue, first.id!)).toBe('completed');
    expect(await state(queue, second.id!)).toBe('waiting');
    // it was taken by the fetch-next (started once) and handed back, not left alone
    expect(await scope.redis.hget(`bull:${name}:${second.id}`, 'ats')).toBe('1');
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(0);
  });

  it('close(true, { requeue: true }) aborts active jobs and moves them back to wait at once; a late finish changes nothing', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const reasons: unknown[] = [];
    const release = scope.gate();
    const lateDone = deferred<unknown>();
    const worker = new Worker(
      name,
      async (job, _token, signal) => {
        signal!.addEventListener('abort', () => reasons.push(signal!.reason));
        // ignores the abort, finishes only when the test says so, and then tries to report
        await release.promise;
        try {
          await job.updateProgress(99);
        } catch (err) {
          lateDone.resolve(err);
          throw err;
        }
        lateDone.resolve('progress went through');
        return 'late result';
      },
      { connection: connection(), concurrency: 2 },
    );
    const errors: Error[] = [];
    const events: string[] = [];
    worker.on('error', (err) => errors.push(err));
    for (const e of ['completed', 'failed', 'stalled']) worker.on(e, () => events.push(e));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const active = once(worker, 'active');
      const job = await queue.add('j', {});
      await active;
      await within(worker.close(true, { requeue: true }), 3000, 'close(true, { requeue: true }) with a processor that ignores its signal');
      expect(reasons).toHaveLength(1);
      expect((reasons[0] as Error).message).toMatch(/closed with force/);
      expect(await state(queue, job.id!)).toBe('waiting');
      expect(await scope.redis.exists(`bull:${name}:${job.id}:lock`)).toBe(0);
      expect(await scope.redis.sismember(`bull:${name}:stalled`, job.id!)).toBe(0);

      release.resolve();
      await lateDone.promise;
      // nothing the late processor does reaches Redis or the listeners
      expect(await state(queue, job.id!)).toBe('waiting');
      expect(await scope.redis.hget(`bull:${name}:${job.id}`, 'progress')).toBeNull();
      expect(events).toEqual([]);
      expect(errors).toEqual([]);

      // and the stalled checker has nothing to recover: two full passes
      const checker = scope.track(new Worker(name, null, { connection: connection() }));
      checker.on('stalled', () => events.push('stalled'));
      expect(await checker.checkStalled()).toEqual([]);
      await scope.redis.del(`bull:${name}:stalled-check`);
      expect(await checker.checkStalled()).toEqual([]);
      expect(events).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('close(true, { requeue: true }) after a close() that is waiting for a job ends the wait at once', async () => {
    const { queue, worker, job, gentle } = await gentleCloseWithJobInHand();
    const forced = worker.close(true, { requeue: true });
    await within(Promise.all([gentle, forced]), 3000, 'close() then close(true, { requeue: true })');
    expect(await state(queue, job.id!)).toBe('waiting');
  });

  it('close(true), as on bullmq 6.7: returns at once, leaves the jobs in active under a lock no longer renewed, signals not aborted, late outcomes ignored', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const release = scope.gate();
    const signals: AbortSignal[] = [];
    const late: unknown[] = [];
    const worker = new Worker(
      name,
      async (job, _token, signal) => {
        signals.push(signal!);
        await release.promise;
        // the connection is closed: a report fails, the result is dropped
        await job.updateProgress(50).then(
          () => late.push('progress stored'),
          (err: Error) => late.push(err.message),
        );
        return 'late result';
      },
      { connection: connection(), concurrency: 2, lockDuration: 1500 },
    );
    const events: string[] = [];
    for (const e of ['completed', 'failed', 'error']) worker.on(e, () => events.push(e));
    const active = times(worker, 'active', 2);
    const jobs = await queue.addBulk([1, 2].map((n) => ({ name: 'j', data: { n } })));
    await active;
    await within(worker.close(true), 1000, 'close(true) with two jobs in hand');
    expect(worker.activeJobs).toEqual([]);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    for (const job of jobs) {
      expect(await state(queue, job.id!)).toBe('active');
      expect(Number(await scope.redis.pttl(`bull:${name}:${job.id}:lock`))).toBeGreaterThan(0);
    }
    const own = (worker as unknown as { connection: { client: Redis } }).connection.client;
    expect(own.status).toBe('end');

    release.resolve();
    await until(
      'the late processors to end',
      () => late.length,
      (n) => n === 2,
    );
    expect(late).toEqual([expect.stringMatching(/closed/), expect.stringMatching(/closed/)]);
    for (const job of jobs) {
      expect(await state(queue, job.id!)).toBe('active');
      expect(await scope.redis.hmget(`bull:${name}:${job.id}`, 'returnvalue', 'progress', 'atm')).toEqual([null, null, null]);
    }
    expect(events).toEqual([]);
  });

  it('close(true) after a close() that is waiting for a job ends the wait at once and leaves the job in active', async () => {
    const { queue, worker, job, gentle } = await gentleCloseWithJobInHand();
    await within(Promise.all([gentle, worker.close(true)]), 3000, 'close() then close(true)');
    expect(await state(queue, job.id!)).toBe('active');
  });

  it('jobs left in active by close(true) are recovered as stalled by another worker and run again', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    // the same stalledInterval for both: the check runs at most once per interval across workers
    const opts = { connection: connection(), concurrency: 2, stalledInterval: 200 };
    const first = new Worker(name, async () => scope.gate().promise, { ...opts, lockDuration: 500 });
    const active = times(first, 'active', 2);
    const jobs = await queue.addBulk([1, 2].map((n) => ({ name: 'j', data: { n } })));
    await active;
    await first.close(true);

    const second = scope.track(new Worker(name, async (job) => `again ${job.data.n}`, opts));
    const stalled = times<[string, string]>(second, 'stalled', 2, 8000);
    const completed = times<[Job, string]>(second, 'completed', 2, 8000);
    expect((await stalled).map(([id, prev]) => [id, prev]).sort()).toEqual(jobs.map((j) => [j.id, 'active']).sort());
    for (const [job, result] of await completed) {
      expect(job.stalledCounter).toBe(1);
      expect(job.attemptsStarted).toBe(2);
      expect(result).toBe(`again ${job.data.n}`);
    }
  });

  it.each([
    [{ requeue: 'yes' }, /^requeue must be a boolean, got "yes"$/],
    [{ requeu: true }, /^close options\.requeu is not a known option \(requeue\)$/],
    ['requeue', /^close options must be an object, got "requeue"$/],
  ])('close(true, %p) is refused and leaves the worker running', async (opts, message) => {
    const name = scope.name();
    const worker = scope.track(new Worker(name, async () => 1, { connection: connection() }));
    await once(worker, 'ready');
    await expect(worker.close(true, opts as never)).rejects.toThrow(message);
    expect(worker.isRunning()).toBe(true);
  });

  it('close() before run() and close() of a worker that never connected resolve promptly', async () => {
    const name = scope.name();
    const idle = new Worker(name, async () => 1, { connection: connection(), autorun: false });
    await within(idle.close(), 3000, 'close() before run()');
    const unreachable = new Worker(name, async () => 1, { connection: { host: '127.0.0.1', port: 1, connectTimeout: 10_000 } });
    unreachable.on('error', () => {});
    await within(unreachable.close(), 3000, 'close() while connecting');
  });
});
