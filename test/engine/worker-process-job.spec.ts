// worker.processJob(job, token, fetchNextCallback?): bullmq's public step of its loop for a job
// taken by hand. The processor runs, the job is finished through its own moveToCompleted /
// moveToFailed, the worker emits active/completed/failed, and the job the finish fetched comes
// back. Also job.delay after a failed attempt, as bullmq leaves it (the loop and by hand).
import { DelayedError, Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('worker.processJob', () => {
  const scope = scopePerTest();

  it('runs the processor, completes the job and resolves with the next job the finish fetched (same token)', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const [a, b] = await queue.addBulk([
      { name: 'a', data: { n: 1 } },
      { name: 'b', data: { n: 2 } },
    ]);
    const worker = scope.track(new Worker(name, async (job: Job) => job.data.n * 10, { connection: connection(), autorun: false }));
    const active: Job[] = [];
    worker.on('active', (job: Job) => active.push(job));
    const completed = times<[Job, unknown]>(worker, 'completed', 2);
    const first = (await worker.getNextJob('tok'))!;
    const next = (await worker.processJob(first, 'tok')) as Job;
    expect(next.id).toBe(b.id);
    expect(next.token).toBe('tok');
    expect(await next.getState()).toBe('active');
    // no fetch asked: nothing comes back
    expect(await worker.processJob(next, 'tok', () => false)).toBeUndefined();
    expect((await completed).map(([job, value]) => [job.id, value])).toEqual([
      [a.id, 10],
      [b.id, 20],
    ]);
    // as bullmq: 'active' when a job is taken (by getNextJob, then by the finish), not again by processJob
    expect(active.map((job) => job.id)).toEqual([a.id, b.id]);
    expect(await queue.getJobCounts('completed', 'active', 'wait')).toEqual({ completed: 2, active: 0, wait: 0 });
    expect((await queue.getJob(a.id!))!.returnvalue).toBe(10);
  });

  it('a throw fails the attempt through moveToFailed (retries and backoff apply) and emits failed with the error', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('retried', {}, { attempts: 2 });
    await queue.add('delayed', {}, { attempts: 2, backoff: { type: 'fixed', delay: 60_000 } });
    await queue.add('final', {});
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          throw new Error('no');
        },
        { connection: connection(), autorun: false },
      ),
    );
    const failed = times<[Job, Error]>(worker, 'failed', 3);
    for (const token of ['t1', 't2', 't3']) {
      const job = (await worker.getNextJob(token, { block: false }))!;
      expect(await worker.processJob(job, token, () => false)).toBeUndefined();
    }
    const outcomes = (await failed).map(([job, err]) => [job.name, err.message, job.attemptsMade, job.delay]);
    // job.delay as bullmq leaves it: the backoff of a delayed retry, 0 for one at once
    expect(outcomes).toEqual([
      ['retried', 'no', 1, 0],
      ['delayed', 'no', 1, 60_000],
      ['final', 'no', 1, 0],
    ]);
    expect(await queue.getJobCounts('wait', 'delayed', 'failed', 'active')).toEqual({ wait: 1, delayed: 1, failed: 1, active: 0 });
  });

  it('leaves a job the processor moved itself (DelayedError) where the processor put it', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('later', {});
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job, token?: string) => {
          await job.moveToDelayed(Date.now() + 60_000, token);
          throw new DelayedError();
        },
        { connection: connection(), autorun: false },
      ),
    );
    let events = 0;
    worker.on('completed', () => events++).on('failed', () => events++);
    const job = (await worker.getNextJob('tok'))!;
    expect(await worker.processJob(job, 'tok')).toBeUndefined();
    expect(await job.getState()).toBe('delayed');
    expect(events).toBe(0);
  });

  it('refuses a worker without processor before touching the job', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('j', {});
    const worker = scope.track(new Worker(name, null, { connection: connection(), autorun: false }));
    const job = (await worker.getNextJob('tok'))!;
    const before = await snapshotQueue(scope.redis, name);
    await expect(worker.processJob(job, 'tok')).rejects.toThrow('No process function is defined.');
    expect(await snapshotQueue(scope.redis, name)).toEqual(before);
  });

  it('the worker loop leaves job.delay as bullmq does after a retry: the backoff, or 0', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('now', {}, { attempts: 2, delay: 5 });
    await queue.add('later', {}, { attempts: 2, backoff: 60_000 });
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          throw new Error('again');
        },
        { connection: connection() },
      ),
    );
    const seen = new Map<string, number>();
    await new Promise<void>((resolve) => {
      worker.on('failed', (job) => {
        if (job && !seen.has(job.name)) seen.set(job.name, job.delay);
        if (seen.size === 2) resolve();
      });
    });
    expect(Object.fromEntries(seen)).toEqual({ now: 0, later: 60_000 });
  });

  it("a moveToCompleted that throws is reported ('error'), then the attempt fails with that error, as in bullmq", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const added = await queue.add('j', {}, { attempts: 2 });
    const worker = scope.track(new Worker(name, async () => 'done', { connection: connection(), autorun: false }));
    const seen: string[] = [];
    worker.on('error', (err) => seen.push(`error:${err.message}`));
    worker.on('failed', (job, err) => seen.push(`failed:${job!.id}:${err.message}`));
    worker.on('completed', () => seen.push('completed'));
    const job = (await worker.getNextJob('tok', { block: false }))!;
    job.moveToCompleted = async () => {
      throw new Error('no lock');
    };
    expect(await worker.processJob(job, 'tok', () => false)).toBeUndefined();
    expect(seen).toEqual(['error:no lock', `failed:${added.id}:no lock`]);
    // the failure was stored: retried (attempts: 2), with the reason
    expect(await queue.getJobState(added.id!)).toBe('waiting');
    expect((await queue.getJob(added.id!))!.failedReason).toBe('no lock');
  });

  it("a moveToFailed that throws is reported ('error'), no 'failed'; the job stays in active, as in bullmq", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const added = await queue.add('j', {});
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          throw new Error('processing');
        },
        { connection: connection(), autorun: false },
      ),
    );
    let failed = 0;
    worker.on('failed', () => failed++);
    const error = once<[Error]>(worker, 'error');
    const job = (await worker.getNextJob('tok', { block: false }))!;
    job.moveToFailed = async () => {
      throw new Error('lock gone');
    };
    await expect(worker.processJob(job, 'tok')).resolves.toBeUndefined();
    expect((await error)[0].message).toBe('lock gone');
    expect(failed).toBe(0);
    expect(await queue.getJobState(added.id!)).toBe('active');
  });

  it('a paused worker fetches no next job, whatever the callback says (as bullmq)', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const [, b] = await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const worker = scope.track(new Worker(name, async () => 'ok', { connection: connection(), autorun: false }));
    const job = (await worker.getNextJob('tok', { block: false }))!;
    await worker.pause(true);
    expect(await worker.processJob(job, 'tok', () => true)).toBeUndefined();
    expect(await job.getState()).toBe('completed');
    expect(await queue.getJobState(b.id!)).toBe('waiting');
  });
});
