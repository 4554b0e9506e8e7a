// LockKeeper: the one timer that renews the locks of all jobs a worker holds, driven directly
// against the real Redis, its interval under jest's fake timers (no sleeps).
import { jest } from '@jest/globals';
import { LockKeeper } from '../../lib/engine/worker/lock-keeper.js';
import type { WorkerOptions } from '../../lib/engine/worker/options.js';
import { takeJobAway } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { holdJobs, partsFixture, takeJobs, useFakeClock, type PartsFixture } from './worker-parts-support.js';

describe('LockKeeper', () => {
  // declared first, so it runs first: the scope closes with real timers
  afterEach(() => jest.useRealTimers());
  const scope = scopePerTest();

  /** A keeper whose timer ticks are recorded: `passes` holds the renewal each tick started. */
  async function keeperOf(opts: WorkerOptions) {
    const fx = await partsFixture(scope, opts);
    fx.scripts.know('extendLocks');
    const passes: Promise<void>[] = [];
    const keeper: LockKeeper = new LockKeeper({ ...fx.context, renewLocks: () => keeper.renew() });
    const ticking = new LockKeeper({
      ...fx.context,
      renewLocks: () => {
        const pass = keeper.renew();
        passes.push(pass);
        return pass;
      },
    });
    return { fx, keeper, ticking, passes };
  }

  async function lockTtl(fx: PartsFixture, jobId: string): Promise<number> {
    return scope.redis.pttl(`bull:${fx.name}:${jobId}:lock`);
  }

  it('renews the locks of all held jobs in one extendLocks call every lockRenewTime', async () => {
    const { fx, ticking, passes } = await keeperOf({ lockDuration: 20_000, lockRenewTime: 4_000 });
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const jobs = await takeJobs(fx, 2);
    holdJobs(fx, jobs);
    for (const job of jobs) await scope.redis.pexpire(`bull:${fx.name}:${job.id}:lock`, 1_000);

    useFakeClock();
    ticking.start();
    jest.advanceTimersByTime(3_999);
    expect(passes).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(passes).toHaveLength(1);
    await passes[0];

    const calls = fx.scripts.of('extendLocks');
    expect(calls).toHaveLength(1);
    expect(calls[0].args).toEqual([fx.context.keys.base, '20000', jobs[0].id, jobs[0].token, jobs[1].id, jobs[1].token]);
    for (const job of jobs) expect(await lockTtl(fx, job.id!)).toBeGreaterThan(10_000);

    jest.advanceTimersByTime(4_000);
    expect(passes).toHaveLength(2);
    await passes[1];
    expect(fx.scripts.of('extendLocks')).toHaveLength(2);

    // stopped: no more ticks
    ticking.stop();
    jest.advanceTimersByTime(40_000);
    expect(passes).toHaveLength(2);
  });

  it("says which locks it renewed ('locksRenewed') when someone listens", async () => {
    const { fx, keeper } = await keeperOf({});
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const jobs = await takeJobs(fx, 2);
    holdJobs(fx, jobs);
    await keeper.renew();
    expect(fx.events.of('locksRenewed')).toEqual([]);
    fx.events.on('locksRenewed', () => {});
    await keeper.renew();
    expect(fx.events.of('locksRenewed')).toEqual([[{ count: 2, jobIds: jobs.map((j) => j.id) }]]);
  });

  it('a lock that is gone: lockRenewalFailed, a LockLostError, the job signal aborted, and no more renewals for it', async () => {
    const { fx, keeper } = await keeperOf({});
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const jobs = await takeJobs(fx, 2);
    const [lostEntry, keptEntry] = holdJobs(fx, jobs);
    fx.events.on('locksRenewed', () => {});
    await takeJobAway(scope.redis, fx.name, jobs[0].id!);

    await keeper.renew();
    expect(fx.events.of('lockRenewalFailed')).toEqual([[[jobs[0].id]]]);
    expect(fx.events.of('locksRenewed')).toEqual([[{ count: 1, jobIds: [jobs[1].id] }]]);
    expect(fx.errors).toHaveLength(1);
    expect((fx.errors[0] as Error).name).toBe('LockLostError');
    expect(lostEntry.lockLost).toBe(true);
    expect(lostEntry.controller.signal.aborted).toBe(true);
    expect(lostEntry.controller.signal.reason).toBe(fx.errors[0]);
    expect(keptEntry.controller.signal.aborted).toBe(false);

    await keeper.renew();
    expect(fx.scripts.of('extendLocks').at(-1)!.args.slice(2)).toEqual([jobs[1].id, jobs[1].token]);
    expect(fx.events.of('lockRenewalFailed')).toHaveLength(1);
  });

  it("an 'error' listener that throws keeps no job with a lost lock running: every one is aborted", async () => {
    const { fx, keeper } = await keeperOf({});
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const jobs = await takeJobs(fx, 2);
    const entries = holdJobs(fx, jobs);
    fx.events.on('error', () => {
      throw new Error('a listener with a bug');
    });
    for (const job of jobs) await takeJobAway(scope.redis, fx.name, job.id!);

    await keeper.renew();
    expect(entries.map((e) => e.lockLost)).toEqual([true, true]);
    expect(entries.map((e) => e.controller.signal.aborted)).toEqual([true, true]);
    expect(fx.errors.map((e) => (e as Error).name)).toEqual(['LockLostError', 'LockLostError']);
  });

  it('a job whose outcome is being stored, or that a forced close let go of, is no loss when its lock is gone', async () => {
    const { fx, keeper } = await keeperOf({});
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const jobs = await takeJobs(fx, 2);
    const [finishing, abandoned] = holdJobs(fx, jobs);
    finishing.phase = 'finishing';
    abandoned.abandoned = true;
    await takeJobAway(scope.redis, fx.name, jobs[0].id!);

    await keeper.renew();
    // the abandoned one is not even asked for
    expect(fx.scripts.of('extendLocks').map((c) => c.args.slice(2))).toEqual([[jobs[0].id, jobs[0].token]]);
    expect(fx.events.of('lockRenewalFailed')).toEqual([]);
    expect(fx.errors).toEqual([]);
    expect(finishing.controller.signal.aborted).toBe(false);
  });

  it('nothing held: no call; a pass in flight: the next tick sends none', async () => {
    const { fx, keeper } = await keeperOf({});
    await keeper.renew();
    expect(fx.scripts.of('extendLocks')).toHaveLength(0);

    await fx.queue.add('a', {});
    holdJobs(fx, await takeJobs(fx, 1));
    const first = keeper.renew();
    const second = keeper.renew();
    await Promise.all([first, second]);
    expect(fx.scripts.of('extendLocks')).toHaveLength(1);
    await keeper.renew();
    expect(fx.scripts.of('extendLocks')).toHaveLength(2);
  });

  it('a failed call is reported (a closed connection quietly, and nothing once closing) and tried at the next tick', async () => {
    const { fx, keeper } = await keeperOf({});
    await fx.queue.add('a', {});
    holdJobs(fx, await takeJobs(fx, 1));
    fx.scripts.fail('extendLocks', () => new Error("READONLY You can't write against a read only replica."));
    await keeper.renew();
    expect(fx.errors.map((e) => (e as Error).message)).toEqual(["READONLY You can't write against a read only replica."]);

    fx.scripts.fail('extendLocks', () => new Error('Connection is closed.'));
    await keeper.renew();
    expect(fx.errors).toHaveLength(1);

    fx.owner.closing = Promise.resolve();
    fx.scripts.fail('extendLocks', () => new Error('ERR something else'));
    await keeper.renew();
    expect(fx.errors).toHaveLength(1);

    await keeper.renew();
    expect(fx.scripts.of('extendLocks')).toHaveLength(4);
  });

  it('skipLockRenewal: no timer', async () => {
    const { fx, ticking, passes } = await keeperOf({ skipLockRenewal: true, lockRenewTime: 1_000 });
    await fx.queue.add('a', {});
    holdJobs(fx, await takeJobs(fx, 1));
    useFakeClock();
    ticking.start();
    jest.advanceTimersByTime(10_000);
    expect(passes).toHaveLength(0);
  });
});
