// The stalled checker (wire-format §7.7): one check per stalledInterval across workers, recovery
// of jobs whose lock expired, maxStalledCount with the deferred failure applied by the next fetch,
// and a frozen worker's late finish refused.
import { runScript } from '../../lib/engine/core/scripts.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';
import { until } from '../support/wait.js';

/**
 * What a worker that died right after its fetch leaves behind: the job in active with a lock
 * that expires in `lockMs`. Done with the fetch script itself, as that worker would have.
 */
async function fetchAsDeadWorker(scope: Scope, name: string, lockMs = 30): Promise<string> {
  const reply = (await runScript(
    scope.redis,
    'moveToActive',
    [`bull:${name}:meta`],
    [`bull:${name}:`, 'dead-worker:1', lockMs, Date.now(), 0, 0, '', 1],
  )) as unknown[];
  const jobId = reply[2] as string;
  expect(jobId).toBeTruthy();
  await until(
    'the dead worker lock to expire',
    () => scope.redis.exists(`bull:${name}:${jobId}:lock`),
    (n) => n === 0,
    5000,
  );
  return jobId;
}

/** One stalled pass that really runs (the previous pass's stalled-check key is dropped first). */
async function pass(scope: Scope, name: string, checker: Worker): Promise<string[]> {
  await scope.redis.del(`bull:${name}:stalled-check`);
  return checker.checkStalled();
}

describe('Stalled jobs', () => {
  const scope = scopePerTest();

  it('recovers a job whose lock expired after two checks, one check per interval across workers', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const a = scope.track(new Worker(name, null, { connection: connection(), stalledInterval: 400 }));
    const b = scope.track(new Worker(name, null, { connection: connection(), stalledInterval: 400 }));
    const job = await queue.add('j', {});
    const other = await queue.add('k', {});
    const jobId = await fetchAsDeadWorker(scope, name);
    expect(jobId).toBe(job.id);

    // A's pass notes what is active; B, right after, is skipped (the job would be recovered otherwise)
    expect(await a.checkStalled()).toEqual([]);
    expect(Number(await scope.redis.pttl(`bull:${name}:stalled-check`))).toBeGreaterThan(0);
    expect(await scope.redis.smembers(`bull:${name}:stalled`)).toEqual([jobId]);
    expect(await b.checkStalled()).toEqual([]);
    expect(await job.getState()).toBe('active');

    // once the interval is over, the next pass recovers it
    await until(
      'the stalled-check key to expire',
      () => scope.redis.exists(`bull:${name}:stalled-check`),
      (n) => n === 0,
      5000,
    );
    const stalledEvent = once<[string, string]>(b, 'stalled');
    expect(await b.checkStalled()).toEqual([jobId]);
    expect(await stalledEvent).toEqual([jobId, 'active']);
    expect(await job.getState()).toBe('waiting');
    // back in front of the line, with its stall counted
    expect(await scope.redis.lrange(`bull:${name}:wait`, -1, -1)).toEqual([jobId]);
    expect(await scope.redis.hget(`bull:${name}:${jobId}`, 'stc')).toBe('1');
    expect(await scope.redis.hget(`bull:${name}:${jobId}`, 'defa')).toBeNull();
    expect(await scope.redis.exists(`bull:${name}:stalled`)).toBe(0);
    const events = (await scope.redis.xrange(`bull:${name}:events`, '-', '+')).map(([, f]) => f.join(' '));
    expect(events.slice(-2)).toEqual([`event waiting jobId ${jobId} prev active`, `event stalled jobId ${jobId}`]);
    expect(await other.getState()).toBe('waiting');
  });

  it('running workers check once per interval between them, not once each', async () => {
    const name = scope.name();
    const monitor = scope.track(await new ScriptMonitor(name, ['moveStalledJobsToWait']).start());
    const interval = 300;
    for (let i = 0; i < 3; i++) scope.track(new Worker(name, async () => 1, { connection: connection(), stalledInterval: interval }));
    const started = Date.now();
    await until(
      '15 checker calls',
      () => monitor.count('moveStalledJobsToWait'),
      (n) => n >= 15,
      15000,
    );
    await monitor.settle(scope.redis);
    const elapsed = Date.now() - started;
    const passes = monitor.commands.filter((c) => c.args[0] === 'set' && c.args[1] === `bull:${name}:stalled-check`);
    // every pass that ran set the key for one interval; the other calls were skipped
    expect(passes.length).toBeGreaterThanOrEqual(2);
    expect(passes.length).toBeLessThanOrEqual(Math.ceil(elapsed / interval) + 1);
    expect(passes.length).toBeLessThan(monitor.count('moveStalledJobsToWait') / 2);
    for (const p of passes) expect(p.args.slice(3)).toEqual(['PX', String(interval)]);
  }, 30000);

  it('past maxStalledCount the job gets the deferred failure, applied by the next fetch without running it', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const checker = scope.track(new Worker(name, null, { connection: connection(), maxStalledCount: 1 }));
    const job = await queue.add('j', {}, { attempts: 5 });

    for (const expected of ['1', '2']) {
      await fetchAsDeadWorker(scope, name);
      expect(await pass(scope, name, checker)).toEqual([]);
      expect(await pass(scope, name, checker)).toEqual([job.id]);
      expect(await scope.redis.hget(`bull:${name}:${job.id}`, 'stc')).toBe(expected);
    }
    expect(await scope.redis.hget(`bull:${name}:${job.id}`, 'defa')).toBe('job stalled more than allowable limit');
    expect(await job.getState()).toBe('waiting');

    let ran = 0;
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          ran += 1;
        },
        { connection: connection(), autorun: false },
      ),
    );
    const failed = once<[Job, Error, string]>(worker, 'failed');
    void worker.run();
    const [failedJob, err, prev] = await failed;
    expect(failedJob.id).toBe(job.id);
    expect(err.message).toBe('job stalled more than allowable limit');
    expect(prev).toBe('active');
    expect(ran).toBe(0);
    const hash = await scope.redis.hgetall(`bull:${name}:${job.id}`);
    expect(hash.failedReason).toBe('job stalled more than allowable limit');
    expect(hash.defa).toBeUndefined();
    // no retry for it, whatever attempts said
    expect(await job.getState()).toBe('failed');
  });

  it('maxStalledCount: 0 fails a job at its first stall', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const checker = scope.track(new Worker(name, null, { connection: connection(), maxStalledCount: 0 }));
    const job = await queue.add('j', {});
    await fetchAsDeadWorker(scope, name);
    await pass(scope, name, checker);
    expect(await pass(scope, name, checker)).toEqual([job.id]);
    expect(await scope.redis.hget(`bull:${name}:${job.id}`, 'defa')).toBe('job stalled more than allowable limit');
  });

  it("a frozen worker's late finish is refused and leaves the winner's result alone", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const thaw = scope.gate();
    // frozen: it stops renewing its lock (as a process stopped by SIGSTOP would)
    const frozen = scope.track(
      new Worker(
        name,
        async () => {
          await thaw.promise;
          return 'from the frozen worker';
        },
        { connection: connection(), lockDuration: 200, skipLockRenewal: true, skipStalledCheck: true },
      ),
    );
    const frozenErrors: Error[] = [];
    frozen.on('error', (err) => frozenErrors.push(err));
    const active = once<[Job]>(frozen, 'active');
    const job = await queue.add('j', {});
    await active;
    await until(
      'the frozen lock to expire',
      () => scope.redis.exists(`bull:${name}:${job.id}:lock`),
      (n) => n === 0,
      5000,
    );

    const checker = scope.track(new Worker(name, null, { connection: connection() }));
    await pass(scope, name, checker);
    expect(await pass(scope, name, checker)).toEqual([job.id]);
    const winner = scope.track(new Worker(name, async () => 'from the winner', { connection: connection() }));
    await once(winner, 'completed');

    thaw.resolve();
    await until(
      'the refused finish',
      () => frozenErrors.map((e) => e.message),
      (m) => m.length > 0,
      5000,
    );
    expect(frozenErrors[0].message).toMatch(new RegExp(`^(Missing lock|Lock mismatch) for job ${job.id}`));
    const hash = await scope.redis.hgetall(`bull:${name}:${job.id}`);
    expect(JSON.parse(hash.returnvalue)).toBe('from the winner');
    expect(await job.getState()).toBe('completed');
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(1);
  });
});
