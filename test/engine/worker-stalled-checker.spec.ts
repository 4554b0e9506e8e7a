// StalledChecker: the stalled checker's timer and passes, driven directly against the real Redis,
// its interval under jest's fake timers (no sleeps). Redis throttles passes with a key that
// expires in Redis's own time; the tests delete it where the interval is meant to have passed.
import { jest } from '@jest/globals';
import type { WorkerOptions } from '../../lib/engine/worker/options.js';
import { StalledChecker } from '../../lib/engine/worker/stalled-checker.js';
import { scopePerTest } from '../support/scope.js';
import { partsFixture, takeJobs, useFakeClock } from './worker-parts-support.js';

describe('StalledChecker', () => {
  // declared first, so it runs first: the scope closes with real timers
  afterEach(() => jest.useRealTimers());
  const scope = scopePerTest();

  /** A checker wired as the Worker wires it, its timer's passes recorded in `passes`. */
  async function checkerOf(opts: WorkerOptions) {
    const fx = await partsFixture(scope, opts);
    fx.scripts.know('moveStalledJobsToWait');
    const passes: Promise<string[]>[] = [];
    const checker: StalledChecker = new StalledChecker({
      ...fx.context,
      checkStalled: () => {
        const pass = checker.check();
        passes.push(pass);
        return pass;
      },
      moveStalledJobsToWait: () => checker.pass(),
    });
    return { fx, checker, passes };
  }

  it('start() runs a pass at once, then one every stalledInterval; a job left in active without a lock goes back to wait', async () => {
    const { fx, checker, passes } = await checkerOf({ stalledInterval: 5_000 });
    const job = await fx.queue.add('a', {});
    await takeJobs(fx, 1);
    useFakeClock();

    await checker.start();
    expect(passes).toHaveLength(1);
    expect(await passes[0]).toEqual([]);
    const [first] = fx.scripts.of('moveStalledJobsToWait');
    expect(first.keys).toEqual([fx.context.keys.stalledCheck]);
    expect(first.args).toEqual([fx.context.keys.base, '1', String(Date.now()), '5000']);
    expect(await scope.redis.smembers(`bull:${fx.name}:stalled`)).toEqual([job.id]);

    // its worker is gone: no lock, and stalledInterval passed (for Redis too)
    await scope.redis.del(`bull:${fx.name}:${job.id}:lock`, fx.context.keys.stalledCheck);
    jest.advanceTimersByTime(4_999);
    expect(passes).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(passes).toHaveLength(2);
    expect(await passes[1]).toEqual([job.id]);
    expect(fx.events.of('stalled')).toEqual([[job.id, 'active']]);
    expect(await scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1)).toEqual([job.id]);

    checker.stop();
    jest.advanceTimersByTime(50_000);
    expect(passes).toHaveLength(2);
  });

  it('runs one timer only: a second start(), skipStalledCheck or close() begun start none', async () => {
    const running = await checkerOf({ stalledInterval: 1_000 });
    useFakeClock();
    await running.checker.start();
    await running.checker.start();
    expect(running.passes).toHaveLength(1);
    jest.advanceTimersByTime(1_000);
    expect(running.passes).toHaveLength(2);
    running.checker.stop();

    const skipping = await checkerOf({ stalledInterval: 1_000, skipStalledCheck: true });
    await skipping.checker.start();
    jest.advanceTimersByTime(5_000);
    expect(skipping.passes).toHaveLength(0);

    const closing = await checkerOf({ stalledInterval: 1_000 });
    closing.fx.owner.closing = Promise.resolve();
    await closing.checker.start();
    jest.advanceTimersByTime(5_000);
    expect(closing.passes).toHaveLength(0);
    expect(closing.fx.scripts.of('moveStalledJobsToWait')).toHaveLength(0);
  });

  it('a pass in flight: check() makes no second call', async () => {
    const { fx, checker } = await checkerOf({});
    const [a, b] = await Promise.all([checker.check(), checker.check()]);
    expect([a, b]).toEqual([[], []]);
    expect(fx.scripts.of('moveStalledJobsToWait')).toHaveLength(1);
    await scope.redis.del(fx.context.keys.stalledCheck);
    await checker.check();
    expect(fx.scripts.of('moveStalledJobsToWait')).toHaveLength(2);
  });

  it('check() reports a failed pass (a closed connection quietly, nothing once closing); pass() leaves it to its caller', async () => {
    const { fx, checker } = await checkerOf({});
    fx.scripts.fail('moveStalledJobsToWait', () => new Error('LOADING Redis is loading the dataset in memory'));
    expect(await checker.check()).toEqual([]);
    expect(fx.errors.map((e) => (e as Error).message)).toEqual(['LOADING Redis is loading the dataset in memory']);

    fx.scripts.fail('moveStalledJobsToWait', () => new Error('Connection is closed.'));
    expect(await checker.check()).toEqual([]);
    expect(fx.errors).toHaveLength(1);

    fx.scripts.fail('moveStalledJobsToWait', () => new Error('ERR by hand'));
    await expect(checker.pass()).rejects.toThrow('ERR by hand');
    expect(fx.errors).toHaveLength(1);

    fx.owner.closing = Promise.resolve();
    fx.scripts.fail('moveStalledJobsToWait', () => new Error('ERR while closing'));
    expect(await checker.check()).toEqual([]);
    expect(fx.errors).toHaveLength(1);
  });
});
