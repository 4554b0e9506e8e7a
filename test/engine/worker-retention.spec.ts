// removeOnComplete / removeOnFail (true, N, { age, count }) from the job's options, else the
// worker's (wire-format §7.5).
import { Queue, Worker, type JobsOptions, type WorkerOptions } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('Worker retention', () => {
  const scope = scopePerTest();

  /** Runs `count` jobs (all failing when `fail`) with `jobKeep` options; returns their ids. */
  async function run(
    name: string,
    count: number,
    opts: { fail?: boolean; jobKeep?: JobsOptions['removeOnComplete']; workerKeep?: WorkerOptions['removeOnComplete'] },
  ): Promise<string[]> {
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const option = opts.fail ? 'removeOnFail' : 'removeOnComplete';
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          if (opts.fail) throw new Error(`no ${job.data.n}`);
          return job.data.n;
        },
        { connection: connection(), autorun: false, ...(opts.workerKeep === undefined ? {} : { [option]: opts.workerKeep }) },
      ),
    );
    const jobs = await queue.addBulk(
      Array.from({ length: count }, (_, n) => ({
        name: 'j',
        data: { n },
        opts: opts.jobKeep === undefined ? {} : { [option]: opts.jobKeep },
      })),
    );
    const done = times(worker, opts.fail ? 'failed' : 'completed', count);
    void worker.run();
    await done;
    return jobs.map((j) => j.id!);
  }

  async function kept(name: string, set: 'completed' | 'failed', ids: string[]): Promise<string[]> {
    const inSet = await scope.redis.zrange(`bull:${name}:${set}`, 0, -1);
    const hashes = await Promise.all(ids.map((id) => scope.redis.exists(`bull:${name}:${id}`)));
    // a job is kept when both its hash and its entry exist, and never only one of them
    ids.forEach((id, i) => expect(inSet.includes(id)).toBe(hashes[i] === 1));
    return ids.filter((id) => inSet.includes(id));
  }

  it('keeps everything by default', async () => {
    const name = scope.name();
    const ids = await run(name, 3, {});
    expect(await kept(name, 'completed', ids)).toEqual(ids);
  });

  it('removeOnComplete: true removes the job at once', async () => {
    const name = scope.name();
    const ids = await run(name, 3, { jobKeep: true });
    expect(await kept(name, 'completed', ids)).toEqual([]);
    expect(await scope.redis.exists(`bull:${name}:completed`)).toBe(0);
  });

  it('removeOnComplete: N keeps the newest N', async () => {
    const name = scope.name();
    const ids = await run(name, 5, { jobKeep: 2 });
    expect(await kept(name, 'completed', ids)).toEqual(ids.slice(3));
  });

  it('removeOnFail: { count } keeps the newest failures', async () => {
    const name = scope.name();
    const ids = await run(name, 4, { fail: true, jobKeep: { count: 1 } });
    expect(await kept(name, 'failed', ids)).toEqual(ids.slice(3));
  });

  it('removeOnFail: true removes failed jobs', async () => {
    const name = scope.name();
    const ids = await run(name, 2, { fail: true, jobKeep: true });
    expect(await kept(name, 'failed', ids)).toEqual([]);
  });

  it("the worker's option applies when the job has none; the job's wins when set", async () => {
    const name = scope.name();
    const ids = await run(name, 3, { workerKeep: 1 });
    expect(await kept(name, 'completed', ids)).toEqual(ids.slice(2));
    const other = scope.name();
    const ids2 = await run(other, 3, { workerKeep: true, jobKeep: false });
    expect(await kept(other, 'completed', ids2)).toEqual(ids2);
  });

  it('{ age } removes jobs that finished longer ago than age seconds when another finishes', async () => {
    const name = scope.name();
    // a job that finished an hour ago (score = finishedOn)
    const old = `bull:${name}:old-1`;
    await scope.redis.hset(
      old,
      'name',
      'old',
      'data',
      '{}',
      'opts',
      '{}',
      'timestamp',
      Date.now() - 3_600_000,
      'finishedOn',
      Date.now() - 3_600_000,
    );
    await scope.redis.zadd(`bull:${name}:completed`, Date.now() - 3_600_000, 'old-1');
    const ids = await run(name, 2, { jobKeep: { age: 60 } });
    expect(await scope.redis.exists(old)).toBe(0);
    expect(await scope.redis.zscore(`bull:${name}:completed`, 'old-1')).toBeNull();
    expect(await kept(name, 'completed', ids)).toEqual(ids);
  });

  it('{ age, count } applies both limits', async () => {
    const name = scope.name();
    await scope.redis.hset(`bull:${name}:old-2`, 'name', 'old', 'data', '{}', 'opts', '{}', 'timestamp', 1, 'finishedOn', 1);
    await scope.redis.zadd(`bull:${name}:completed`, 1, 'old-2');
    const ids = await run(name, 4, { jobKeep: { age: 3600, count: 3 } });
    expect(await scope.redis.exists(`bull:${name}:old-2`)).toBe(0);
    expect(await kept(name, 'completed', ids)).toEqual(ids.slice(1));
  });
});
