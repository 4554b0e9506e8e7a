// What a worker does when creating a scheduler's next iteration fails (as bullmq 6.7's worker):
// Redis away is waited out; any other failure is reported and the job is left to the stalled
// checker, so the schedule recovers instead of stopping; a BullMQ 5 repeatable job gets the
// migration error and still runs.
import { Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

type Upsert = (...args: unknown[]) => Promise<unknown>;

/** Replaces the worker's JobScheduler.upsertJobScheduler by `fake(original, call number, args)`. */
async function replaceUpsert(
  worker: Worker,
  fake: (original: Upsert, call: number, args: unknown[]) => Promise<unknown>,
): Promise<() => number> {
  const scheduler = (await worker.jobScheduler) as unknown as { upsertJobScheduler: Upsert };
  const original = scheduler.upsertJobScheduler.bind(scheduler);
  let calls = 0;
  scheduler.upsertJobScheduler = (...args: unknown[]) => fake(original, ++calls, args);
  return () => calls;
}

describe('a worker creating scheduler iterations', () => {
  const scope = scopePerTest('sched-worker');
  let name: string;
  const key = (suffix: string) => `bull:${name}:${suffix}`;

  beforeEach(() => {
    name = scope.name();
  });

  it('passes its JobScheduler the iteration it took (bullmq arguments) and runs it after the successor exists', async () => {
    const queue = scope.queue(name);
    const first = await queue.upsertJobScheduler('args', { every: 60_000 }, { name: 'args-job', data: { a: 1 }, opts: { attempts: 2 } });
    const ran: Job[] = [];
    const worker = scope.track(new Worker(name, async (job: Job) => void ran.push(job), { connection: connection(), autorun: false }));
    const seenArgs: unknown[][] = [];
    await replaceUpsert(worker, (original, _call, args) => {
      seenArgs.push(args);
      return original(...args);
    });
    worker.run().catch(() => undefined);
    await once(worker, 'completed', 10_000);
    expect(seenArgs).toEqual([
      [
        'args',
        { every: 60_000, count: 1 },
        'args-job',
        { a: 1 },
        expect.objectContaining({ attempts: 2, repeatJobKey: 'args' }),
        { override: false, producerId: first!.id },
      ],
    ]);
    expect(ran.map((j) => j.id)).toEqual([first!.id]);
    expect(await scope.redis.zscore(key('repeat'), 'args')).toBe(String(Number(first!.id!.split(':').pop()) + 60_000));
  });

  it('Redis away while creating the successor: tried again without an error, then the job runs', async () => {
    const queue = scope.queue(name);
    await queue.upsertJobScheduler('flaky', { every: 60_000 });
    const worker = scope.track(new Worker(name, async () => 'done', { connection: connection(), autorun: false }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const calls = await replaceUpsert(worker, (original, call, args) => {
      if (call <= 2) return Promise.reject(new Error('Connection is closed.'));
      return original(...args);
    });
    worker.run().catch(() => undefined);
    await once(worker, 'completed', 10_000);
    expect(calls()).toBe(3);
    expect(errors).toEqual([]);
    expect(await scope.redis.zcard(key('delayed'))).toBe(1);
  });

  it('any other failure: reported as bullmq does, the job left active; the stalled checker hands it back and a later take succeeds', async () => {
    const queue = scope.queue(name);
    const first = await queue.upsertJobScheduler('broken', { every: 60_000 });
    const ran: Job[] = [];
    const worker = scope.track(
      new Worker(name, async (job: Job) => void ran.push(job), {
        connection: connection(),
        autorun: false,
        lockDuration: 800,
        stalledInterval: 200,
        maxStalledCount: 1,
      }),
    );
    const errors: string[] = [];
    worker.on('error', (err) => errors.push(err.message));
    const stalled: string[] = [];
    worker.on('stalled', (jobId: string) => stalled.push(jobId));
    const calls = await replaceUpsert(worker, (original, call, args) => {
      if (call <= 2) return Promise.reject(new Error(`scheduler update failure ${call}`));
      return original(...args);
    });
    const completed = once<[Job]>(worker, 'completed', 15_000);
    worker.run().catch(() => undefined);
    // first take: not run, still active, nothing created
    await once(worker, 'error', 5000, (e: Error) => e.message.startsWith('Failed to add repeatable job'));
    expect(await scope.redis.lrange(key('active'), 0, -1)).toEqual([first!.id]);
    expect(ran).toEqual([]);
    expect(await scope.redis.zcard(key('delayed'))).toBe(0);

    const [job] = await completed;
    expect(job.id).toBe(first!.id);
    expect(calls()).toBe(3);
    expect(errors).toEqual([
      'scheduler update failure 1',
      'Failed to add repeatable job for next iteration: scheduler update failure 1',
      'scheduler update failure 2',
      'Failed to add repeatable job for next iteration: scheduler update failure 2',
    ]);
    // stalled twice with maxStalledCount 1, yet not failed: a live scheduler's iteration
    expect(stalled).toEqual([first!.id, first!.id]);
    expect(ran.map((j) => j.id)).toEqual([first!.id]);
    expect(await queue.getFailedCount()).toBe(0);
    expect(await scope.redis.zcard(key('delayed'))).toBe(1);
  }, 20_000);

  it('a BullMQ 5 repeatable job (legacy rjk, no scheduler): the migration error, and the job runs', async () => {
    const queue = scope.queue(name);
    const legacy = 'legacy-name:legacy-id:::1000';
    const job = await queue.add('legacy', { v: 5 }, { jobId: 'legacy-1' });
    await scope.redis.hset(key(job.id!), 'rjk', legacy);
    const worker = scope.track(new Worker(name, async () => 'ran', { connection: connection(), autorun: false }));
    const error = once<[Error]>(worker, 'error', 10_000);
    const completed = once<[Job, string]>(worker, 'completed', 10_000);
    worker.run().catch(() => undefined);
    const [err] = await error;
    expect(err.message).toBe(
      `Failed to add repeatable job for next iteration: Legacy repeatable job metadata is not supported in BullMQ v6 (key: "${legacy}"). ` +
        'Migrate legacy repeatable jobs to Job Schedulers before upgrading. See https://docs.bullmq.io/guide/migrations/migrate-from-v5-to-v6',
    );
    const [done, value] = await completed;
    expect(done.id).toBe('legacy-1');
    expect(value).toBe('ran');
    expect(await scope.redis.zcard(key('repeat'))).toBe(0);
  });

  it('a scheduler id shaped like a legacy key is a scheduler (its hash says so): iterations continue', async () => {
    const queue = scope.queue(name);
    const id = 'tenant:region:::1000';
    await queue.upsertJobScheduler(id, { every: 200 });
    const worker = scope.track(new Worker(name, async () => undefined, { connection: connection() }));
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    await times(worker, 'completed', 2, 10_000);
    await worker.close();
    expect(errors).toEqual([]);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([id]);
  });
});
