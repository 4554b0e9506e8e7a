// A fetch whose reply is lost with its connection: Redis moved jobs to active and locked them with
// the worker's token, the worker never heard of them, and ioredis sent the fetch again after
// reconnecting (which took other jobs). The worker must take the first jobs back at once (no
// waiting for lockDuration and the stalled checker), run every job exactly once, and leave `stc`
// alone. A proxy between the worker and Redis loses exactly the chosen reply (reply-losing-proxy).
import { type Queue, Worker, type Job, type WorkerOptions } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { ReplyLosingProxy, scriptCall } from '../support/reply-losing-proxy.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, until } from '../support/wait.js';
import { fixture } from './sandbox-support.js';

/** What Redis holds of each job once everything ran. */
async function fields(
  queue: Queue,
  ids: string[],
): Promise<Record<string, { stc: string | null; ats: string | null; atm: string | null }>> {
  const client = await queue.client;
  const out: Record<string, { stc: string | null; ats: string | null; atm: string | null }> = {};
  for (const id of ids) {
    const [stc, ats, atm] = await client.hmget(queue.toKey(id), 'stc', 'ats', 'atm');
    out[id] = { stc, ats, atm };
  }
  return out;
}

describe('a fetch whose reply was lost', () => {
  const scope = scopePerTest();
  let proxy: ReplyLosingProxy;
  beforeEach(() => {
    proxy = new ReplyLosingProxy(connection());
    scope.onClose(() => proxy.close());
  });

  /** A worker connected through the proxy; records what it ran and what it said. */
  async function workerThroughProxy(name: string, processor: ConstructorParameters<typeof Worker>[1], opts: Partial<WorkerOptions> = {}) {
    const port = await proxy.listen();
    const worker = scope.track(new Worker(name, processor, { connection: { ...connection(), port }, ...opts }));
    const stalled: string[] = [];
    const lockLost: string[][] = [];
    const errors: Error[] = [];
    worker.on('stalled', (id) => stalled.push(id));
    worker.on('lockRenewalFailed', (ids) => lockLost.push(ids));
    worker.on('error', (err) => errors.push(err));
    return { worker, stalled, lockLost, errors };
  }

  it('moveToActive: the jobs of the lost reply are handed back at once and run once each, stc untouched, no stalled event', async () => {
    const queue = scope.queue();
    const jobs = await queue.addBulk(['a', 'b', 'c', 'd'].map((name) => ({ name, data: {} })));
    const ids = jobs.map((j) => j.id!);
    const runs: string[] = [];
    proxy.arm(scriptCall('moveToActive'));
    const started = Date.now();
    const { worker, stalled, lockLost, errors } = await workerThroughProxy(
      queue.name,
      async (job: Job) => {
        runs.push(job.name);
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
      // the keeper renews meanwhile: it must not fight the reclaim
      { concurrency: 2, lockRenewTime: 100 },
    );
    await until(
      'every job to complete',
      () => queue.getCompletedCount(),
      (n) => n === 4,
      10_000,
    );
    const took = Date.now() - started;

    expect(proxy.lost).toBe(1);
    // the first fetch took a and b (its reply lost), the second c and d
    expect(runs.slice(0, 2).sort()).toEqual(['c', 'd']);
    // handed back in front, in their order
    expect(runs.slice(2)).toEqual(['a', 'b']);
    // lockDuration is 30 s: nobody waited for it
    expect(took).toBeLessThan(5000);
    expect(stalled).toEqual([]);
    expect(lockLost).toEqual([]);
    expect(errors).toEqual([]);
    const after = await fields(queue, ids);
    for (const id of ids) expect(after[id].stc).toBeNull();
    // as a graceful hand-back: no attempt counted, the activation that never ran still counted
    expect(Object.values(after).map((f) => [f.ats, f.atm])).toEqual([
      ['2', '1'],
      ['2', '1'],
      ['1', '1'],
      ['1', '1'],
    ]);
    const events = (await (await queue.client).xrange(queue.toKey('events'), '-', '+')).map(([, f]) => `${f[1]} ${f[3]}`);
    expect(events.filter((e) => e.startsWith('stalled'))).toEqual([]);
    expect(events.filter((e) => e === `waiting ${ids[0]}` || e === `waiting ${ids[1]}`)).toHaveLength(4);
    expect(await (await queue.client).llen(queue.toKey('active'))).toBe(0);
    await worker.close();
  });

  it("a finish's fetch-next: the job it took is handed back and runs once; the finished job is not run again, and completes once", async () => {
    const queue = scope.queue();
    const jobs = await queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const ids = jobs.map((j) => j.id!);
    const runs: string[] = [];
    const firstRunning = deferred();
    const release = deferred();
    const { worker, stalled, errors } = await workerThroughProxy(queue.name, async (job: Job) => {
      runs.push(job.name);
      if (job.name === 'a') {
        firstRunning.resolve();
        await release.promise;
      }
    });
    const completed: string[] = [];
    worker.on('completed', (job: Job) => completed.push(job.id!));
    await firstRunning.promise;
    proxy.arm(scriptCall('moveToFinished'));
    const armedAt = Date.now();
    release.resolve();
    await until(
      'every job to complete',
      () => queue.getCompletedCount(),
      (n) => n === 3,
      10_000,
    );

    expect(proxy.lost).toBe(1);
    expect(Date.now() - armedAt).toBeLessThan(5000);
    expect(runs.sort()).toEqual(['a', 'b', 'c']);
    expect(stalled).toEqual([]);
    // the finish sent again finds its job finished by itself: no error, 'completed' once per job,
    // in Redis as well (bullmq reports "Missing lock" and emits no 'completed' for it)
    expect(errors).toEqual([]);
    await until(
      "every job's 'completed'",
      () => completed.length,
      (n) => n === 3,
    );
    expect([...completed].sort()).toEqual([...ids].sort());
    const events = await scope.redis.xrange(`bull:${queue.name}:events`, '-', '+');
    const completions = events.filter(([, f]) => f[1] === 'completed').map(([, f]) => f[3]);
    expect(completions.sort()).toEqual([...ids].sort());
    const after = await fields(queue, ids);
    for (const id of ids) expect(after[id].stc).toBeNull();
    expect(after[ids[0]]).toEqual({ stc: null, ats: '1', atm: '1' });
    // b was taken by the lost fetch-next, handed back, taken again
    expect(after[ids[1]]).toEqual({ stc: null, ats: '2', atm: '1' });
    await worker.close();
  });

  it('a sandboxed worker takes the jobs back the same way', async () => {
    const queue = scope.queue();
    const jobs = await queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: { action: 'echo' } })));
    proxy.arm(scriptCall('moveToActive'));
    const started = Date.now();
    const { worker, stalled, errors } = await workerThroughProxy(queue.name, fixture('processor.cjs'), { concurrency: 1 });
    await until(
      'every job to complete',
      () => queue.getCompletedCount(),
      (n) => n === 3,
      15_000,
    );
    expect(proxy.lost).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stalled).toEqual([]);
    expect(errors).toEqual([]);
    const after = await fields(
      queue,
      jobs.map((j) => j.id!),
    );
    expect(Object.values(after).map((f) => [f.stc, f.atm])).toEqual([
      [null, '1'],
      [null, '1'],
      [null, '1'],
    ]);
    expect(after[jobs[0].id!].ats).toBe('2');
    await worker.close();
  });

  it('graceful close right after the reconnect: nothing is left in active', async () => {
    const queue = scope.queue();
    await queue.addBulk(['a', 'b', 'c', 'd'].map((name) => ({ name, data: {} })));
    const lostAt = deferred();
    proxy.onLost = () => lostAt.resolve();
    proxy.arm(scriptCall('moveToActive'));
    const { worker } = await workerThroughProxy(queue.name, async () => {}, { concurrency: 2 });
    await lostAt.promise;
    await worker.close();
    const client = await queue.client;
    expect(await client.llen(queue.toKey('active'))).toBe(0);
    // whatever the worker did not complete is back in wait, unlocked
    const waiting = await client.lrange(queue.toKey('wait'), 0, -1);
    const completed = await queue.getCompletedCount();
    expect(waiting.length + completed).toBe(4);
    for (const id of waiting) expect(await client.exists(queue.toKey(`${id}:lock`))).toBe(0);
  });
});
