// job.waitUntilFinished(queueEvents, ttl): settles on the job's final outcome, also when that came first.
import { QueueEvents, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection, uniqueName } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('Job#waitUntilFinished', () => {
  const scope = scopePerTest('wuf');

  /** A queue, its QueueEvents (ready) and, on demand, a worker; all closed after the test. */
  async function setup(processor?: (job: Job) => Promise<unknown>) {
    const name = scope.name();
    const queue = scope.queue(name);
    const events = scope.track(new QueueEvents(name, { connection: connection() }));
    await events.waitUntilReady();
    const startWorker = () => {
      const worker = scope.worker(name, processor ?? (async () => null));
      worker.on('error', () => {});
      return worker;
    };
    return { name, queue, events, startWorker };
  }

  function listenersFor(events: QueueEvents, jobId: string): number {
    return events.listenerCount(`completed:${jobId}`) + events.listenerCount(`failed:${jobId}`);
  }

  it('resolves with the return value when the job completes', async () => {
    const { queue, events, startWorker } = await setup(async (job) => ({ total: job.data.a * 10, tags: ['x'] }));
    const job = await queue.add('calc', { a: 4 });
    const finished = job.waitUntilFinished(events);
    startWorker();
    await expect(finished).resolves.toEqual({ total: 40, tags: ['x'] });
    expect(listenersFor(events, job.id!)).toBe(0);
  });

  it('rejects with an Error whose message is the failedReason on the final failure, not on a retried one', async () => {
    const { queue, events, startWorker } = await setup(async (job) => {
      throw new Error(`bad input on attempt ${job.attemptsMade + 1}`);
    });
    const job = await queue.add('calc', {}, { attempts: 2 });
    const finished = job.waitUntilFinished(events);
    startWorker();
    const error = await finished.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('bad input on attempt 2');
    expect(listenersFor(events, job.id!)).toBe(0);
  });

  it('resolves after a failed attempt that a retry turns into a success', async () => {
    const { queue, events, startWorker } = await setup(async (job) => {
      if (job.attemptsMade === 0) throw new Error('transient');
      return 'second time lucky';
    });
    const job = await queue.add('flaky', {}, { attempts: 2 });
    const finished = job.waitUntilFinished(events);
    startWorker();
    await expect(finished).resolves.toBe('second time lucky');
  });

  it('rejects after ttl with a message naming the job and the ttl, and stops listening', async () => {
    const { queue, events } = await setup();
    const job = await queue.add('never-processed', {});
    const started = Date.now();
    await expect(job.waitUntilFinished(events, 150)).rejects.toThrow(
      `Job ${job.id} did not finish within the waitUntilFinished ttl of 150 ms`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(listenersFor(events, job.id!)).toBe(0);
  });

  it('settles for a job that finished before the call (completed and failed)', async () => {
    const { queue, events, startWorker } = await setup(async (job) => {
      if (job.name === 'bad') throw new Error('it broke');
      return { ok: job.name };
    });
    const worker = startWorker();
    const done = once(worker, 'completed');
    const failed = once(worker, 'failed');
    const good = await queue.add('good', {});
    const bad = await queue.add('bad', {});
    await Promise.all([done, failed]);
    await expect(good.waitUntilFinished(events)).resolves.toEqual({ ok: 'good' });
    await expect(bad.waitUntilFinished(events)).rejects.toThrow('it broke');
    expect(listenersFor(events, good.id!) + listenersFor(events, bad.id!)).toBe(0);
  });

  it('rejects for a job completed and removed (removeOnComplete) before the call, as BullMQ; findInEvents settles it', async () => {
    const { queue, events, startWorker } = await setup(async () => 'gone but known');
    const worker = startWorker();
    const done = once(worker, 'completed');
    const job = await queue.add('ephemeral', {}, { removeOnComplete: true });
    await done;
    expect(await scope.redis.exists(`bull:${queue.name}:${job.id}`)).toBe(0);
    await expect(job.waitUntilFinished(events, 2000)).rejects.toThrow(`Missing key for job bull:${queue.name}:${job.id}. isFinished`);
    // the hash is gone; its finish is still in the stream
    await expect(job.waitUntilFinished(events, 2000, { findInEvents: true })).resolves.toBe('gone but known');
    await expect(job.waitUntilFinished(events, 2000, { findInEvents: 'yes' } as never)).rejects.toThrow(
      'waitUntilFinished options must be { findInEvents?: boolean }, got {"findInEvents":"yes"}',
    );
    expect(listenersFor(events, job.id!)).toBe(0);
  });

  it('rejects at once for a job that does not exist', async () => {
    const { queue, events } = await setup();
    const job = await queue.add('short-lived', {});
    await queue.remove(job.id!);
    await expect(job.waitUntilFinished(events, 5000)).rejects.toThrow(`Missing key for job bull:${queue.name}:${job.id}. isFinished`);
    await expect(job.waitUntilFinished(events, 5000, { findInEvents: true })).rejects.toThrow(
      `Missing key for job bull:${queue.name}:${job.id}. isFinished`,
    );
    expect(listenersFor(events, job.id!)).toBe(0);
  });

  it('rejects when the QueueEvents closes while waiting, and at once when it is closed already', async () => {
    const { queue, events } = await setup();
    const job = await queue.add('waits', {});
    const finished = expect(job.waitUntilFinished(events)).rejects.toThrow(`closed before job ${job.id} finished`);
    await events.waitUntilReady();
    await events.close();
    await finished;
    await expect(job.waitUntilFinished(events)).rejects.toThrow('is closed');
  });

  it('many waiters on one QueueEvents each get their own job', async () => {
    const { queue, events, startWorker } = await setup(async (job) => job.data.n * 2);
    const jobs = await queue.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: 'double', data: { n } })));
    const results = Promise.all(jobs.map((job) => job.waitUntilFinished(events, 10_000)));
    startWorker();
    expect(await results).toEqual(Array.from({ length: 20 }, (_, n) => n * 2));
    expect(jobs.reduce((sum, job) => sum + listenersFor(events, job.id!), 0)).toBe(0);
  });

  it('rejects bad arguments before waiting', async () => {
    const { queue, events } = await setup();
    const job = await queue.add('x', {});
    await expect(job.waitUntilFinished(events, -5)).rejects.toThrow('ttl must be a number of ms > 0, got -5');
    await expect(job.waitUntilFinished(events, Number.NaN)).rejects.toThrow('ttl must be a number of ms > 0');
    await expect(job.waitUntilFinished(undefined as never)).rejects.toThrow('waitUntilFinished needs a QueueEvents');
    const other = scope.track(new QueueEvents(uniqueName('wuf-other'), { connection: connection(), autorun: false }));
    await expect(job.waitUntilFinished(other)).rejects.toThrow(
      `the QueueEvents reads "${other.qualifiedName}" but job ${job.id} is in "bull:${queue.name}"`,
    );
  });
});
