// How a Worker takes jobs: processor arguments, concurrency, round trips per job, order
// (priorities, lifo) and delayed jobs waking an idle worker without polling.
import { Redis } from 'ioredis';
import { loadScript } from '../../lib/engine/core/scripts.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';
import { deferred, until } from '../support/wait.js';

describe('Worker processing', () => {
  const scope = scopePerTest();

  it("the first fetch goes out once the blocking connection is ready (as bullmq's): a worker starting up does not take the job that woke one already waiting", async () => {
    const name = scope.name();
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    scope.track({ close: async () => client.disconnect() });
    const sha = loadScript('moveToActive').sha;
    const original = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const atFirstFetch: (string | undefined)[] = [];
    // eslint-disable-next-line prefer-const -- the stub above may read it before the constructor returns
    let worker: Worker | undefined;
    (client as unknown as { evalsha: typeof original }).evalsha = (...args) => {
      if (args[0] === sha && atFirstFetch.length === 0) atFirstFetch.push((worker as unknown as { blocking?: Redis })?.blocking?.status);
      return original(...args);
    };
    worker = scope.track(new Worker(name, async () => 'ok', { connection: client }));
    await until(
      'the first fetch',
      () => atFirstFetch.length,
      (n) => n > 0,
    );
    expect(atFirstFetch).toEqual(['ready']);
  });

  it('calls the processor with (job, token, signal); the token is the job lock', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const seen = deferred<{ job: Job; token?: string; signal?: AbortSignal; lock: string | null }>();
    const worker = scope.track(
      new Worker(
        name,
        async (job, token, signal) => {
          seen.resolve({ job, token, signal, lock: await scope.redis.get(`bull:${name}:${job.id}:lock`) });
          return 'ok';
        },
        { connection: connection() },
      ),
    );
    const added = await queue.add('x', { a: 1 });
    const { job, token, signal, lock } = await seen.promise;
    expect(job.id).toBe(added.id);
    expect(job.data).toEqual({ a: 1 });
    expect(job.attemptsStarted).toBe(1);
    expect(typeof token).toBe('string');
    expect(lock).toBe(token);
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal!.aborted).toBe(false);
    await once(worker, 'completed');
  });

  it('runs up to `concurrency` jobs at once and never more', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    let running = 0;
    let max = 0;
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          running += 1;
          max = Math.max(max, running);
          if (running === 3) gate.resolve();
          await gate.promise;
          // uneven job lengths make finishes, fetch-next and loop fetches overlap
          await new Promise((resolve) => setTimeout(resolve, (job.data.n * 7) % 11));
          running -= 1;
        },
        { connection: connection(), concurrency: 3 },
      ),
    );
    const done = times(worker, 'completed', 40, 15000);
    await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: 'j', data: { n } })));
    // a second wave while the worker is busy, so loop fetches race with fetch-next
    await once(worker, 'completed');
    for (let n = 20; n < 40; n++) await queue.add('j', { n });
    await done;
    expect(max).toBe(3);
    expect(worker.activeJobs).toHaveLength(0);
  });

  it('a loop fetch in flight and a fetch-next never take more jobs than there are slots', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    // our own client, so the test can act at the moment the worker sends a fetch
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    scope.track({ close: async () => client.disconnect() });
    const fetchSha = loadScript('moveToActive').sha;
    let onFetch: ((send: () => Promise<unknown>) => Promise<unknown>) | undefined;
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args) => {
      if (args[0] === fetchSha && onFetch) {
        const hook = onFetch;
        onFetch = undefined;
        return hook(() => evalsha(...args));
      }
      return evalsha(...args);
    };

    const firstDone = scope.gate();
    const othersDone = scope.gate();
    let running = 0;
    let max = 0;
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          running += 1;
          max = Math.max(max, running);
          await (job.name === 'first' ? firstDone.promise : othersDone.promise);
          running -= 1;
        },
        { connection: client, concurrency: 2 },
      ),
    );
    const firstActive = once(worker, 'active');
    const first = await queue.add('first', {});
    await firstActive;
    await once(worker, 'drained');
    // the next loop fetch (one free slot) goes out once b, c, d exist, and the first job finishes
    // right behind it, so its fetch-next reaches Redis while that fetch is still unanswered
    const bulkAdded = deferred();
    onFetch = async (send) => {
      await bulkAdded.promise;
      const reply = send();
      firstDone.resolve();
      return reply;
    };
    const firstCompleted = once<[Job]>(worker, 'completed', 5000, (job) => job.id === first.id);
    await queue.addBulk(['b', 'c', 'd'].map((n) => ({ name: n, data: {} })));
    bulkAdded.resolve();
    await firstCompleted;
    expect(worker.activeJobs.map((j) => j.name).sort()).toEqual(['b', 'c']);
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(2);
    expect(max).toBe(2);
    const rest = times(worker, 'completed', 3);
    othersDone.resolve();
    await rest;
    expect(max).toBe(2);
  });

  it('fills several free slots with one moveToActive call', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveToActive', 'moveToFinished']).start());
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: { n } })));
    const gate = scope.gate();
    const tokens: string[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (_job, token) => {
          tokens.push(token!);
          await gate.promise;
        },
        { connection: connection(), concurrency: 3, autorun: false },
      ),
    );
    const active = times(worker, 'active', 3);
    void worker.run();
    await active;
    await monitor.settle(scope.redis);
    expect(monitor.count('moveToActive')).toBe(1);
    expect(monitor.of('moveToActive')[0].args.at(-1)).toBe('3');
    // one call, one token for all three
    expect(new Set(tokens).size).toBe(1);
    gate.resolve();
    await times(worker, 'completed', 3);
  });

  it('fetches the next job in the same call that finishes one', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveToActive', 'moveToFinished']).start());
    await queue.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'j', data: { n } })));
    const order: number[] = [];
    const worker = scope.track(new Worker(name, async (job) => order.push(job.data.n), { connection: connection(), autorun: false }));
    const done = times(worker, 'completed', 5);
    void worker.run();
    await done;
    await monitor.settle(scope.redis);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    // calls in the order Redis ran them, up to the fifth finish
    const calls = monitor.calls.map((c) => c.script);
    const finishes = calls.flatMap((s, i) => (s === 'moveToFinished' ? [i] : []));
    expect(finishes).toHaveLength(5);
    expect(calls.slice(0, finishes[4]).filter((s) => s === 'moveToActive')).toHaveLength(1);
  });

  it('finishes a job without parent or deduplication id without reading its hash, and counts its attempts all the same', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveToFinished']).start());
    const plain = await queue.add('plain', {}, { attempts: 3, backoff: 0 });
    const deduplicated = await queue.add('dedup', {}, { deduplication: { id: 'once' } });
    let tries = 0;
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          if (job.name === 'plain' && ++tries < 3) throw new Error(`try ${tries}`);
          return job.name;
        },
        { connection: connection() },
      ),
    );
    const done = times(worker, 'completed', 2);
    await done;
    await monitor.settle(scope.redis);
    // what touched the job's hash after the fetch that ran it for the last time: that run's finish
    const finishOf = (id: string) => {
      const onHash = monitor.commands.filter((c) => c.args[1] === `bull:${name}:${id}`).map((c) => c.args[0]);
      return onHash.slice(onHash.lastIndexOf('hgetall') + 1);
    };
    // the plain job's completion (after two retries) reads nothing of its hash and writes atm 3
    expect(finishOf(plain.id!)).toEqual(['hset', 'hset']);
    expect(await scope.redis.hget(`bull:${name}:${plain.id}`, 'atm')).toBe('3');
    // a job with a deduplication id is read, so its deduplication key is released
    expect(finishOf(deduplicated.id!)).toContain('hmget');
    expect(await scope.redis.exists(`bull:${name}:de:once`)).toBe(0);
  });

  it('takes wait before prioritized, priority 1 first, FIFO within a priority, lifo jobs next', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('a', {});
    await queue.add('b', {}, { priority: 3 });
    await queue.add('c', {}, { priority: 1 });
    await queue.add('d', {});
    await queue.add('e', {}, { priority: 1 });
    await queue.add('f', {}, { priority: 2_097_151 });
    await queue.add('g', {}, { lifo: true });
    await queue.add('h', {}, { priority: 2 });
    const order: string[] = [];
    const worker = scope.track(new Worker(name, async (job) => order.push(job.name), { connection: connection(), autorun: false }));
    const done = times(worker, 'completed', 8);
    void worker.run();
    await done;
    expect(order).toEqual(['g', 'a', 'd', 'c', 'e', 'h', 'b', 'f']);
  });

  it('an idle worker wakes for a delayed job at its due time, without polling', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveToActive']).start());
    // drainDelay 30 s: a worker that polled would not see the job in time
    const worker = scope.track(new Worker(name, async () => 'late', { connection: connection(), drainDelay: 30 }));
    await once(worker, 'drained');
    const job = await queue.add('later', {}, { delay: 700 });
    const due = job.timestamp + 700;
    const completed = once(worker, 'completed', 5000);
    const [active] = await once<[Job]>(worker, 'active', 5000);
    expect(active.id).toBe(job.id);
    // at its due time: not before it, and taken by the one fetch that due time set off (a worker
    // that polled instead would wait out its 30 s drainDelay, far past the 5 s above)
    expect(active.processedOn).toBeGreaterThanOrEqual(due);
    await monitor.settle(scope.redis);
    // the first (empty) fetch, then the one at the due time (ARGV[4] of a fetch is its clock)
    const fetches = monitor.of('moveToActive').filter((c) => Number(c.args[3]) <= active.processedOn!);
    expect(fetches).toHaveLength(2);
    await completed;
  });

  it('a delayed job added while the worker waits for an earlier one runs at its own time', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(new Worker(name, async (job) => job.name, { connection: connection(), drainDelay: 30 }));
    await once(worker, 'drained');
    const later = await queue.add('second', {}, { delay: 1500 });
    const first = await queue.add('first', {}, { delay: 300 });
    const [job] = await once<[Job]>(worker, 'active', 5000);
    expect(job.id).toBe(first.id);
    // at its own time: after its due time, before the one the worker was waiting for
    expect(job.processedOn).toBeGreaterThanOrEqual(first.timestamp + 300);
    expect(job.processedOn).toBeLessThan(later.timestamp + 1500);
    const [second] = await once<[Job]>(worker, 'active', 5000);
    expect(second.name).toBe('second');
  });
});
