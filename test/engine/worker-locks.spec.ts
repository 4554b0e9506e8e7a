// Locks: one extendLocks call per lockRenewTime for all held jobs, long jobs never stall, and a
// lost lock aborts the job's signal (wire-format §8).
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';
import { deferred, until } from '../support/wait.js';

describe('Worker locks', () => {
  const scope = scopePerTest();

  it('renews the locks of all held jobs in one extendLocks call per lockRenewTime', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['extendLocks']).start());
    const gate = scope.gate();
    const worker = scope.track(
      // a lock far longer than the renew interval: a stall of a loaded machine must not expire it
      new Worker(name, async () => gate.promise, { connection: connection(), concurrency: 3, lockDuration: 2000, lockRenewTime: 200 }),
    );
    const active = times<[Job]>(worker, 'active', 3);
    const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'long', data: { n } })));
    await active;
    const calls = await until(
      'six renewals',
      () => monitor.of('extendLocks'),
      (c) => c.length >= 6,
      15000,
    );
    gate.resolve();
    await times(worker, 'completed', 3);
    const ids = jobs.map((j) => j.id!).sort();
    for (const call of calls.slice(0, 6)) {
      // ARGV: base, duration, then (id, token) for every held job
      expect(
        call.args
          .slice(2)
          .filter((_, i) => i % 2 === 0)
          .sort(),
      ).toEqual(ids);
      expect(call.args[1]).toBe('2000');
    }
    // one call per interval, not one per job: gaps of about 200 ms (more on a loaded machine)
    const gaps = calls
      .slice(1, 6)
      .map((c, i) => c.at - calls[i].at)
      .sort((a, b) => a - b);
    expect(gaps[2]).toBeGreaterThan(150);
  }, 30000);

  it("says 'locksRenewed' with { count, jobIds } after each renewal, as bullmq does; a job whose lock is gone is left out", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const worker = scope.track(
      new Worker(name, async () => gate.promise, { connection: connection(), concurrency: 2, lockDuration: 5000, lockRenewTime: 100 }),
    );
    worker.on('error', () => {});
    const active = times<[Job]>(worker, 'active', 2);
    const [a, b] = await queue.addBulk([1, 2].map((n) => ({ name: 'long', data: { n } })));
    await active;
    const [[both]] = await times<[{ count: number; jobIds: string[] }]>(worker, 'locksRenewed', 1, 5000);
    expect(both.count).toBe(2);
    expect([...both.jobIds].sort()).toEqual([a.id, b.id].sort());
    await scope.redis.set(`bull:${name}:${b.id}:lock`, 'someone else');
    const [[one]] = await times<[{ count: number; jobIds: string[] }]>(worker, 'locksRenewed', 1, 5000, (d) => d.count === 1);
    expect(one).toEqual({ count: 1, jobIds: [a.id] });
    gate.resolve();
  });

  it('a job much longer than lockDuration keeps its lock and never stalls', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveStalledJobsToWait']).start());
    const stalled: string[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          // the simulated work: several lock lifetimes, with the stalled checker running all along
          const started = Date.now();
          await until(
            'stalled checks over 3 lock lifetimes',
            () => monitor.count('moveStalledJobsToWait'),
            (n) => n >= 12 && Date.now() - started > 3000,
            20000,
          );
          return 'done';
        },
        { connection: connection(), lockDuration: 1000, stalledInterval: 250 },
      ),
    );
    // a second worker checking too, as another process would
    const checker = scope.track(new Worker(name, null, { connection: connection(), stalledInterval: 250 }));
    const checks = setInterval(() => void checker.checkStalled(), 250);
    scope.track({ close: async () => clearInterval(checks) });
    worker.on('stalled', (id) => stalled.push(id));
    checker.on('stalled', (id) => stalled.push(id));
    const completed = once<[Job, string]>(worker, 'completed', 25000);
    const job = await queue.add('long', {});
    const [done, result] = await completed;
    expect(done.id).toBe(job.id);
    expect(result).toBe('done');
    expect(stalled).toEqual([]);
    const hash = await scope.redis.hgetall(`bull:${name}:${job.id}`);
    expect(hash.stc).toBeUndefined();
    expect(hash.ats).toBe('1');
  }, 40000);

  it("a job whose lock another worker holds now: 'lockRenewalFailed' and the job's signal aborts saying the lock was lost", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const aborted = deferred<unknown>();
    const errors: Error[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (_job, _token, signal) => {
          await new Promise<void>((resolve) => signal!.addEventListener('abort', () => resolve()));
          aborted.resolve(signal!.reason);
          throw signal!.reason;
        },
        { connection: connection(), lockDuration: 600 },
      ),
    );
    worker.on('error', (err) => errors.push(err));
    const active = once<[Job]>(worker, 'active');
    const job = await queue.add('j', {});
    await active;
    const failedRenewal = once<[string[]]>(worker, 'lockRenewalFailed', 5000);
    // another worker holds the job now
    await scope.redis.set(`bull:${name}:${job.id}:lock`, 'another-worker', 'PX', 30_000);
    const [ids] = await failedRenewal;
    expect(ids).toEqual([job.id]);
    const reason = (await aborted.promise) as Error;
    expect(reason).toBeInstanceOf(Error);
    expect(reason.message).toMatch(new RegExp(`Lock of job ${job.id} was lost`));
    // its finish is refused (the lock is not ours), reported, and leaves the job for the stalled checker
    await until(
      'the refused finish',
      () => errors.map((e) => e.message),
      (m) => m.some((x) => x.startsWith(`Lock mismatch for job ${job.id}`)),
      5000,
    );
    expect(errors.some((e) => /Lock of job .* was lost/.test(e.message))).toBe(true);
    expect(await job.getState()).toBe('active');
    expect(worker.activeJobs).toHaveLength(0);
  });

  it('a lock taken over by another token is reported the same way', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const worker = scope.track(
      new Worker(
        name,
        async (_job, _token, signal) => {
          await gate.promise;
          return signal!.aborted;
        },
        { connection: connection(), lockDuration: 600 },
      ),
    );
    worker.on('error', () => {});
    const active = once<[Job]>(worker, 'active');
    const job = await queue.add('j', {});
    await active;
    const failedRenewal = once<[string[]]>(worker, 'lockRenewalFailed', 5000);
    await scope.redis.set(`bull:${name}:${job.id}:lock`, 'someone-else', 'PX', 10000);
    expect((await failedRenewal)[0]).toEqual([job.id]);
    // the lock stays with its new owner
    expect(await scope.redis.get(`bull:${name}:${job.id}:lock`)).toBe('someone-else');
    gate.resolve();
  });
});
