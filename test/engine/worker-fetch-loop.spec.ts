// FetchLoop: the worker's fetch loop driven directly against the real Redis: one moveToActive
// call per round for all free slots, 'drained' and a wait on the marker when the queue runs dry,
// the rate limit waited out, fetch errors retried, a fetch in flight at close() handed back.
import type { RedisClient } from '../../lib/engine/connection/connection.js';
import type { Job } from '../../lib/engine/job/job.js';
import { BlockingConnection } from '../../lib/engine/worker/blocking-connection.js';
import { FetchLoop, type FetchLoopHost } from '../../lib/engine/worker/fetch-loop.js';
import type { WorkerOptions } from '../../lib/engine/worker/options.js';
import { heldEntry } from '../../lib/engine/worker/slots.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, until, within } from '../support/wait.js';
import { oom, partsFixture, type PartsFixture } from './worker-parts-support.js';

describe('FetchLoop', () => {
  const scope = scopePerTest();

  /**
   * A loop whose started jobs are held and recorded (not processed); `sleeps` records its waits,
   * which end at once unless `onSleep` says otherwise.
   */
  async function loopOf(opts: WorkerOptions, onSleep?: (ms: number, fx: PartsFixture) => Promise<void> | void) {
    const fx = await partsFixture(scope, opts);
    fx.scripts.know('moveToActive');
    const started: Job[] = [];
    const handedBack: Job[][] = [];
    const sleeps: number[] = [];
    let startups = 0;
    const blocking = new BlockingConnection({
      ...fx.context,
      commandClient: async () => fx.client as unknown as RedisClient,
      clientName: () => `test-${fx.name}`,
      sleep: async () => {},
    });
    scope.track({ close: async () => blocking.disconnect() });
    const host: FetchLoopHost = {
      ...fx.context,
      jobHost: fx.queue,
      workerId: 'w1',
      blocking,
      sleep: async (ms) => {
        sleeps.push(ms);
        await onSleep?.(ms, fx);
        // a turn of the event loop, as a real wait would give: a loop gone wrong must not starve the test
        await new Promise((resolve) => setImmediate(resolve));
      },
      started: () => (startups += 1),
      start: (job) => {
        started.push(job);
        fx.context.slots.hold(heldEntry(job, ''));
      },
      handBackAll: async (jobs) => {
        handedBack.push(jobs);
      },
    };
    const loop = new FetchLoop(host);
    /** Ends the loop as close() does. */
    const stop = () => {
      fx.owner.closing = Promise.resolve();
      fx.context.slots.changed.notify();
      void blocking.disconnect();
    };
    // a test that failed half-way leaves no loop running
    scope.track({ close: async () => stop() });
    return { fx, loop, started, handedBack, sleeps, startups: () => startups, stop };
  }

  it('takes as many jobs as there are free slots in one call, then one more call as slots come free', async () => {
    const { fx, loop, started, startups, stop } = await loopOf({ concurrency: 3 });
    await fx.queue.addBulk(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, data: {} })));
    const running = loop.run();
    await until(
      'three jobs started',
      () => started.length,
      (n) => n === 3,
    );
    expect(startups()).toBe(1);
    expect(fx.scripts.of('moveToActive').map((c) => c.args.at(-1))).toEqual(['3']);
    expect(started.map((j) => j.name)).toEqual(['a', 'b', 'c']);
    expect(started.map((j) => j.token)).toEqual(['w1:1', 'w1:1', 'w1:1']);
    expect(fx.context.slots.free()).toBe(0);

    // two slots come free: one call for two jobs (only two are left)
    for (const job of started.slice(0, 2)) fx.context.slots.drop(fx.context.slots.get(job.id!)!);
    await until(
      'five jobs started',
      () => started.length,
      (n) => n === 5,
    );
    expect(fx.scripts.of('moveToActive').map((c) => c.args.at(-1))).toEqual(['3', '2']);
    expect(started.slice(3).map((j) => j.token)).toEqual(['w1:2', 'w1:2']);
    stop();
    await within(running, 2000, 'the loop after close');
  });

  it("a dry queue: 'drained' once, then a wait on the marker until a job is added", async () => {
    // one slot: the job added later fills it, and the loop then waits for a free slot
    const { fx, loop, started, stop } = await loopOf({ concurrency: 1, drainDelay: 30 });
    const running = loop.run();
    await until(
      "'drained'",
      () => fx.events.of('drained').length,
      (n) => n === 1,
    );
    const blockingClient = async () =>
      String(await scope.redis.client('LIST'))
        .split('\n')
        .find((line) => line.includes(`name=test-${fx.name} `)) ?? '';
    await until('the wait on the marker', blockingClient, (line) => line.includes('cmd=bzpopmin'));
    const calls = fx.scripts.of('moveToActive').length;
    await fx.queue.add('late', {});
    await until(
      'the job added later started',
      () => started.length,
      (n) => n === 1,
    );
    expect(started[0].name).toBe('late');
    expect(fx.scripts.of('moveToActive').length).toBe(calls + 1);
    expect(fx.events.of('drained')).toHaveLength(1);
    stop();
    await within(running, 2000, 'the loop after close');
  });

  it('a rate-limited queue: it waits at most maximumRateLimitDelay, then asks Redis again', async () => {
    const limited = deferred();
    const { fx, loop, started, sleeps } = await loopOf(
      { concurrency: 2, limiter: { max: 1, duration: 60_000 }, maximumRateLimitDelay: 1_000 },
      (ms, f) => {
        if (sleeps.length === 2) {
          f.owner.closing = Promise.resolve();
          limited.resolve();
        }
      },
    );
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const running = loop.run();
    await within(limited.promise, 5000, 'two waits for the rate limit');
    await within(running, 2000, 'the loop after close');
    expect(started.map((j) => j.name)).toEqual(['a']);
    expect(sleeps).toEqual([1_000, 1_000]);
    // a fetch after each wait: the limit still held
    expect(fx.scripts.of('moveToActive')).toHaveLength(3);
  });

  it('a fetch that fails is reported, its slots given back, and tried again after a pause', async () => {
    const { fx, loop, started, sleeps, stop } = await loopOf({ concurrency: 2 });
    await fx.queue.add('a', {});
    fx.scripts.fail('moveToActive', oom, 2);
    fx.scripts.fail('moveToActive', () => new Error('Connection is closed.'), 1);
    const running = loop.run();
    await until(
      'the job started',
      () => started.length,
      (n) => n === 1,
    );
    expect(sleeps).toEqual([50, 50, 200]);
    expect(fx.errors.map((e) => (e as Error).message)).toEqual([oom().message, oom().message]);
    // the failed calls reserved nothing for good: one job held, one slot free (once a fetch the
    // loop may have sent since for that slot, on an empty queue, has come back)
    await until(
      'one slot free',
      () => fx.context.slots.free(),
      (n) => n === 1,
    );
    stop();
    await within(running, 2000, 'the loop after close');
  });

  it('a fetch in flight when close() begins: its jobs are handed back, none started', async () => {
    const { fx, loop, started, handedBack, stop } = await loopOf({ concurrency: 2 });
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    fx.scripts.during('moveToActive', stop);
    await within(loop.run(), 2000, 'the loop after close');
    expect(started).toEqual([]);
    expect(handedBack.map((jobs) => jobs.map((j) => j.name))).toEqual([['a', 'b']]);
    expect(fx.context.slots.free()).toBe(2);
  });

  it("claimNext(): a finish's own slots plus the free ones, reserved; none while closing, paused or rate-limited", async () => {
    const { fx, loop } = await loopOf({ concurrency: 4 });
    const { slots, state } = fx.context;
    slots.hold(heldEntry({ id: '1', token: 't' } as Job, ''));
    expect(loop.claimNext(1)).toEqual({ requested: 4, reserved: 3 });
    expect(slots.free()).toBe(0);
    // nothing free: the finishing job's own slot only
    expect(loop.claimNext(1)).toEqual({ requested: 1, reserved: 0 });
    slots.release(3);

    state.paused = true;
    expect(loop.claimNext(1)).toEqual({ requested: 0, reserved: 0 });
    state.paused = false;
    loop.limitFor(10_000);
    expect(loop.claimNext(1)).toEqual({ requested: 0, reserved: 0 });
    expect(slots.free()).toBe(3);
  });

  it("take(): starts the jobs, gives back the reservation; an empty answer to a request means 'drained'", async () => {
    const { fx, loop, started } = await loopOf({ concurrency: 2 });
    const { slots } = fx.context;
    slots.reserve(2);
    loop.take({ rateLimitTtl: 0, nextDelayed: 0, jobs: [{ id: '9', token: 't' } as Job] }, 2, 2);
    expect(started.map((j) => j.id)).toEqual(['9']);
    expect(slots.free()).toBe(1);
    // nothing asked for, nothing said
    loop.take({ rateLimitTtl: 0, nextDelayed: 0, jobs: [] }, 0, 0);
    expect(fx.events.of('drained')).toHaveLength(0);
    loop.take({ rateLimitTtl: 0, nextDelayed: 0, jobs: [] }, 1, 0);
    loop.take({ rateLimitTtl: 0, nextDelayed: 0, jobs: [] }, 1, 0);
    expect(fx.events.of('drained')).toHaveLength(1);
    // rate-limited: no 'drained', and the next claim gets nothing
    loop.take({ rateLimitTtl: 5_000, nextDelayed: 0, jobs: [] }, 1, 0);
    expect(loop.claimNext(1)).toEqual({ requested: 0, reserved: 0 });
  });
});
