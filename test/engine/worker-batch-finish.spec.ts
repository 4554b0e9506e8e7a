// Jobs that end in the same tick are finished in one moveToFinished call, whose fetch-next fills
// all their slots; each job of such a call keeps its own outcome (lock lost, refused, retried).
import { Redis } from 'ioredis';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { loadScript } from '../../lib/engine/scripts.js';
import { once, times } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { Scope, ScriptMonitor } from '../fixtures/worker-harness.js';

type EvalSha = (...args: unknown[]) => Promise<unknown>;

describe('Worker: finishes of one tick in one call', () => {
  let scope: Scope;
  beforeEach(() => {
    scope = new Scope();
  });
  afterEach(async () => {
    await scope.close();
  });

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

  it('finishes the jobs one fetch brought in one call, and its fetch-next takes the next ones for all slots', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToActive', 'moveToFinished']);
    const jobs = await queue.addBulk(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const { state, processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 3, autorun: false }));
    const firstThree = times(worker, 'active', 3);
    const completed = times<[Job, string]>(worker, 'completed', 6);
    void worker.run();
    await firstThree;
    gate.resolve();
    const done = await completed;
    await calls.settle(scope.redis);

    expect(done.map(([job, result]) => [job.name, result])).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => [n, `done ${n}`]));
    expect(state.max).toBe(3);
    const finishes = calls.of('moveToFinished');
    expect(finishes.map((c) => c.keys)).toEqual([
      jobs.slice(0, 3).map((j) => `bull:${name}:${j.id}`),
      jobs.slice(3).map((j) => `bull:${name}:${j.id}`),
    ]);
    // the first call asked for its three slots and took d, e, f (started once each)
    expect(finishes[0].args[11]).toBe('3');
    for (const job of jobs) {
      expect(await scope.redis.hmget(`bull:${name}:${job.id}`, 'ats', 'atm', 'returnvalue')).toEqual(['1', '1', JSON.stringify(`done ${job.name}`)]);
    }
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(6);
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(0);
  });

  it('a job whose lock is gone does not hold back the others of its call; its slot is filled later', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    const [lost, kept] = await queue.addBulk(['lost', 'kept'].map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const { state, processor } = gatedProcessor(gate.promise);
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 2, autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const bothActive = times(worker, 'active', 2);
    void worker.run();
    await bothActive;
    await scope.redis.del(`bull:${name}:${lost.id}:lock`);
    await queue.add('next', {});
    const nextDone = once<[Job]>(worker, 'completed', 5000, (job) => job.name === 'next');
    const keptDone = once<[Job]>(worker, 'completed', 5000, (job) => job.name === 'kept');
    gate.resolve();
    await keptDone;
    await nextDone;
    await calls.settle(scope.redis);

    expect(calls.of('moveToFinished')[0].keys).toEqual([`bull:${name}:${lost.id}`, `bull:${name}:${kept.id}`]);
    expect(errors.map((e) => e.message)).toEqual([`Missing lock for job ${lost.id}. moveToCompleted`]);
    expect(await (await queue.getJob(lost.id!))!.getState()).toBe('active');
    expect(await (await queue.getJob(kept.id!))!.getState()).toBe('completed');
    expect(state.max).toBe(2);
  });

  it('a parent refused completion fails as before while the other job of its call completes; no slot is overfilled', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const calls = await monitor(name, ['moveToFinished']);
    await queue.addBulk(['parent', 'plain', 'third', 'fourth'].map((n) => ({ name: n, data: {} })));
    const gate = scope.gate();
    const childAdded = scope.gate();
    // the parent gains a pending child while it runs
    const { state, processor } = gatedProcessor(gate.promise, async (job) => {
      if (job.name !== 'parent') return;
      await scope.redis.sadd(`${job.key}:dependencies`, `bull:${name}-other:child`);
      childAdded.resolve();
    });
    const worker = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 2, autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const failed = once<[Job, Error]>(worker, 'failed', 5000);
    const completed = times<[Job]>(worker, 'completed', 3);
    // jobs in hand whenever one starts (the refused parent stays in hand until its failure is stored)
    const held: number[] = [];
    worker.on('active', () => held.push(worker.activeJobs.length));
    const bothActive = times(worker, 'active', 2);
    void worker.run();
    await bothActive;
    await childAdded.promise;
    gate.resolve();
    const [[parent, error], done] = await Promise.all([failed, completed]);
    await calls.settle(scope.redis);

    expect(parent.name).toBe('parent');
    expect(error.message).toBe(`Job ${parent.id} has pending dependencies. moveToFinished`);
    expect(errors.map((e) => e.message)).toEqual([`Job ${parent.id} has pending dependencies. moveToFinished`]);
    expect(done.map(([job]) => job.name).sort()).toEqual(['fourth', 'plain', 'third']);
    const [first] = calls.of('moveToFinished');
    expect(first.keys).toHaveLength(2);
    // it asked for both slots; the refused parent kept its own, so only one job came: never three at once
    expect(first.args[11]).toBe('2');
    expect(state.max).toBe(2);
    expect(Math.max(...held)).toBe(2);
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
    const worker = scope.track(new Worker(name, processor, { connection: client, concurrency: 2, autorun: false }));
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
