// Jobs that end in the same tick are finished in one moveToFinished call, whose fetch-next fills
// all their slots; each job of such a call keeps its own outcome (lock lost, refused, retried).
import { Redis } from 'ioredis';
import { loadScript } from '../../lib/engine/core/scripts.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, REDIS_URL, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';

type EvalSha = (...args: unknown[]) => Promise<unknown>;

describe('Worker: finishes of one tick in one call', () => {
  const scope = scopePerTest();

  /** Loads the scripts first: a NOSCRIPT EVALSHA and its EVAL fallback would show up as two calls. */
  async function monitor(name: string, scripts: string[]): Promise<ScriptMonitor> {
    for (const script of scripts) await scope.redis.script('LOAD', loadScript(script).source);
    return scope.track(await new ScriptMonitor(name, scripts).start());
  }

  /** Processors that wait for the gate, counting how many run at once. */
  function gatedProcessor(gate: Promise<void>, onRun?: (job: Job) => Promise<void>) {
    const state = { running: 0, max: 0 };
    const processor = async (job: Job) => {
      state.running += 1;
      state.max = Math.max(state.max, state.running);
      try {
        await onRun?.(job);
        await gate;
        return `done ${job.name}`;
      } finally {
        state.running -= 1;
      }
    };
    return { state, processor };
  }

  it('finishes the jobs that end together in calls of half the slots each, whose fetch-next refills those slots', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToActive', 'moveToFinished']);
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const jobs = await queue.addBulk(names.map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const { state, processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 4, autorun: false }));
    const firstFour = times(worker, 'active', 4);
    const completed = times<[Job, string]>(worker, 'completed', 8);
    void worker.run();
    await firstFour;
    gate.resolve();
    const done = await completed;
    await calls.settle(scope.redis);

    expect(done.map(([job, result]) => [job.name, result])).toEqual(names.map((n) => [n, `done ${n}`]));
    expect(state.max).toBe(4);
    // one fetch for the first four; the calls that finish them take the other four
    expect(calls.count('moveToActive')).toBeLessThanOrEqual(2);
    expect(calls.of('moveToActive')[0].args.at(-1)).toBe('4');
    const finishes = calls.of('moveToFinished');
    const keys = (from: number) => jobs.slice(from, from + 2).map((j) => `bull:${name}:${j.id}`);
    expect(finishes.map((c) => c.keys)).toEqual([keys(0), keys(2), keys(4), keys(6)]);
    // each of the first two asked for its own two slots (the later ones may find free slots too)
    expect(finishes.slice(0, 2).map((c) => c.args[11])).toEqual(['2', '2']);
    for (const job of jobs) {
      expect(await scope.redis.hmget(`bull:${name}:${job.id}`, 'ats', 'atm', 'returnvalue')).toEqual([
        '1',
        '1',
        JSON.stringify(`done ${job.name}`),
      ]);
    }
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(8);
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(0);
  });

  it('jobs of one call each keep their own token, retention, attempts, outcome and stacktrace', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    const odd = 'id "with" \\ odd chars é 😀';
    const specs: { name: string; opts: Record<string, unknown> }[] = [
      { name: 'plain-1', opts: {} },
      { name: 'plain-2', opts: {} },
      { name: 'gone', opts: { removeOnComplete: true } },
      { name: 'odd', opts: { jobId: odd } },
      { name: 'fail', opts: { attempts: 1 } },
      { name: 'fail-kept-2', opts: { removeOnFail: 2 } },
      { name: 'plain-3', opts: { attempts: 3 } },
      { name: 'aged', opts: { removeOnComplete: { age: 3600, count: 100 } } },
    ];
    // two fetches (tokens) for the eight: the first takes four, the second the other four
    await queue.addBulk(specs.slice(0, 4).map((s) => ({ name: s.name, data: {}, opts: s.opts })));
    const gate = scope.gate();
    const processor = async (job: Job) => {
      await gate.promise;
      if (job.name.startsWith('fail')) throw new Error(`boom ${job.name}`);
      return { done: job.name };
    };
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 16, autorun: false }));
    const firstFour = times(worker, 'active', 4);
    const outcomes = times<[Job, unknown]>(worker, 'completed', 6);
    const failures = times<[Job, Error]>(worker, 'failed', 2);
    void worker.run();
    await firstFour;
    const more = times(worker, 'active', 4);
    await queue.addBulk(specs.slice(4).map((s) => ({ name: s.name, data: {}, opts: s.opts })));
    await more;
    gate.resolve();
    const [done, failed] = await Promise.all([outcomes, failures]);
    await calls.settle(scope.redis);

    expect(done.map(([job, value]) => [job.name, value]).sort()).toEqual(
      specs
        .filter((s) => !s.name.startsWith('fail'))
        .map((s) => [s.name, { done: s.name }])
        .sort(),
    );
    expect(failed.map(([job, err]) => [job.name, err.message]).sort()).toEqual([
      ['fail', 'boom fail'],
      ['fail-kept-2', 'boom fail-kept-2'],
    ]);
    // they all ended in one tick (failures too: nothing they do before finishing waits for I/O),
    // so one call for the eight (half the slots is 8), with jobs of other settings than the one
    // before them ("*" records)
    const finishes = calls.of('moveToFinished');
    expect(finishes.map((c) => c.keys.length)).toEqual([8]);
    expect(finishes[0].args.filter((arg) => arg.startsWith('*')).length).toBeGreaterThanOrEqual(4);
    const byName = new Map(done.concat(failed as never).map(([job]) => [job.name, job]));
    const stored = async (n: string, ...fields: string[]) => scope.redis.hmget(byName.get(n)!.key, ...fields);
    for (const n of ['plain-1', 'plain-2', 'odd', 'plain-3', 'aged']) {
      expect(await stored(n, 'atm', 'returnvalue', 'finishedOn')).toEqual(['1', JSON.stringify({ done: n }), expect.any(String)]);
    }
    expect(byName.get('odd')!.id).toBe(odd);
    expect(await scope.redis.exists(byName.get('gone')!.key)).toBe(0);
    for (const n of ['fail', 'fail-kept-2']) {
      const [atm, reason, stack] = await stored(n, 'atm', 'failedReason', 'stacktrace');
      expect([atm, reason]).toEqual(['1', `boom ${n}`]);
      expect(JSON.parse(stack!)[0]).toContain(`boom ${n}`);
    }
    expect((await scope.redis.zrange(`bull:${name}:completed`, 0, -1)).sort()).toEqual(
      ['plain-1', 'plain-2', 'odd', 'plain-3', 'aged'].map((n) => byName.get(n)!.id).sort(),
    );
    expect((await scope.redis.zrange(`bull:${name}:failed`, 0, -1)).sort()).toEqual(
      [byName.get('fail')!.id, byName.get('fail-kept-2')!.id].sort(),
    );
    const exhausted = (await streamEvents(scope.redis, name)).filter((e) => e.event === 'retries-exhausted').map((e) => e.jobId);
    expect(exhausted.sort()).toEqual([byName.get('fail')!.id, byName.get('fail-kept-2')!.id].sort());
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(0);
  });

  it('no call carries more than 50 jobs, however many end together', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    await queue.addBulk(Array.from({ length: 120 }, (_, n) => ({ name: 'j', data: { n } })));
    const gate = scope.gate();
    const { processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 120, autorun: false }));
    const allActive = times(worker, 'active', 120);
    const completed = times(worker, 'completed', 120);
    void worker.run();
    await allActive;
    gate.resolve();
    await completed;
    await calls.settle(scope.redis);

    expect(calls.of('moveToFinished').map((c) => c.keys.length)).toEqual([50, 50, 20]);
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(120);
  });

  it('a job whose lock is gone does not hold back the other job of its call', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    const [lost, kept] = await queue.addBulk(['lost', 'kept'].map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const { processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 4, autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const bothActive = times(worker, 'active', 2);
    void worker.run();
    await bothActive;
    // another worker holds the job now
    await scope.redis.set(`bull:${name}:${lost.id}:lock`, 'another-worker', 'PX', 30_000);
    const keptDone = once<[Job]>(worker, 'completed', 5000);
    gate.resolve();
    const [done] = await keptDone;
    await calls.settle(scope.redis);

    expect(done.name).toBe('kept');
    expect(calls.of('moveToFinished').map((c) => c.keys)).toEqual([[`bull:${name}:${lost.id}`, `bull:${name}:${kept.id}`]]);
    expect(errors.map((e) => e.message)).toEqual([`Lock mismatch for job ${lost.id}. Cmd moveToFinished from active`]);
    expect(worker.activeJobs).toEqual([]);
    expect(await (await queue.getJob(lost.id!))!.getState()).toBe('active');
    expect(await (await queue.getJob(kept.id!))!.getState()).toBe('completed');
  });

  it('a parent refused completion fails as before while the other job of its call completes; no slot is overfilled', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    const names = ['parent', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await queue.addBulk(names.map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const childAdded = scope.gate();
    // the parent gains a pending child while it runs
    const { state, processor } = gatedProcessor(gate.promise, async (job) => {
      if (job.name !== 'parent') return;
      await scope.redis.sadd(`${job.key}:dependencies`, `bull:${name}-other:child`);
      childAdded.resolve();
    });
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 4, autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const failed = once<[Job, Error]>(worker, 'failed', 5000);
    const completed = times<[Job]>(worker, 'completed', 7);
    // jobs in hand whenever one starts (the refused parent stays in hand until its failure is stored)
    const held: number[] = [];
    worker.on('active', () => held.push(worker.activeJobs.length));
    const firstFour = times(worker, 'active', 4);
    void worker.run();
    await firstFour;
    await childAdded.promise;
    gate.resolve();
    const [[parent, error], done] = await Promise.all([failed, completed]);
    await calls.settle(scope.redis);

    expect(parent.name).toBe('parent');
    expect(error.message).toBe(`Job ${parent.id} has pending dependencies. moveToFinished`);
    expect(errors.map((e) => e.message)).toEqual([`Job ${parent.id} has pending dependencies. moveToFinished`]);
    expect(done.map(([job]) => job.name).sort()).toEqual(names.slice(1));
    // the first four end together: two calls of two, each asking for its two slots; the call with
    // the refused parent takes one job only (the parent keeps its slot until its failure is stored)
    const [first, second] = calls.of('moveToFinished');
    expect([first.keys.length, second.keys.length, first.args[11], second.args[11]]).toEqual([2, 2, '2', '2']);
    expect(Math.max(...held)).toBe(4);
    expect(state.max).toBe(4);
    expect(await scope.redis.hget(parent.key, 'failedReason')).toBe(`Job ${parent.id} has pending dependencies. moveToFinished`);
  });

  it('a call that fails on the connection is retried with all its jobs', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    scope.track({ close: async () => client.disconnect() });
    const finishSha = loadScript('moveToFinished').sha;
    const original = client.evalsha.bind(client) as EvalSha;
    const sentKeys: string[][] = [];
    (client as unknown as { evalsha: EvalSha }).evalsha = (...args) => {
      if (args[0] === finishSha) {
        sentKeys.push(args.slice(2, 2 + Number(args[1])) as string[]);
        if (sentKeys.length === 1) return Promise.reject(new Error('connection reset (test)'));
      }
      return original(...args);
    };
    await queue.addBulk(['a', 'b'].map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const { processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: client, concurrency: 4, autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const bothActive = times(worker, 'active', 2);
    const completed = times<[Job]>(worker, 'completed', 2);
    void worker.run();
    await bothActive;
    gate.resolve();
    const done = await completed;

    expect(done.map(([job]) => job.name)).toEqual(['a', 'b']);
    expect(errors.map((e) => e.message)).toEqual(['connection reset (test)']);
    expect(sentKeys.slice(0, 2).map((keys) => keys.length)).toEqual([2, 2]);
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(2);
  });
});
