// The processor's AbortSignal: worker.cancelJob / cancelAllJobs (the reason given, or AbortError),
// lock loss and close(true). As observed on bullmq 6.7, cancelling decides nothing by itself: what
// the processor then throws fails the attempt (retries apply), what it returns completes the job.
import { ConveyorValidationError, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, takeJobAway } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { aborted, deferred } from '../support/wait.js';
import { lists } from './outcomes-support.js';

describe('Cancellation', () => {
  const scope = scopePerTest();

  function worker(
    name: string,
    processor: (job: Job, token: string | undefined, signal: AbortSignal) => Promise<unknown>,
    opts: Record<string, unknown> = {},
  ): Worker {
    const w = scope.worker(name, (job, token, signal) => processor(job, token, signal!), opts);
    w.on('error', () => {});
    return w;
  }

  it('cancelJob aborts the signal with the reason; the processor rejecting fails the attempt, and retries apply', async () => {
    const queue = scope.queue();
    const reasons: unknown[] = [];
    const w = worker(queue.name, async (job, _token, signal) => {
      if (job.attemptsStarted > 1) return 'second run';
      const reason = await aborted(signal);
      reasons.push(reason);
      throw new Error(String(reason));
    });
    const active = once<[Job]>(w, 'active', 5000);
    const failed = once<[Job, Error]>(w, 'failed', 5000);
    const completed = once<[Job, unknown]>(w, 'completed', 5000);
    const job = await queue.add('c', {}, { attempts: 2 });
    await active;
    expect(w.cancelJob(job.id!, 'stop it')).toBe(true);
    // still held until its processor settles: cancelling again says so (as bullmq does)
    expect(w.cancelJob(job.id!, 'again')).toBe(true);
    expect(w.cancelJob('not-held')).toBe(false);
    const [, error] = await failed;
    expect(error.message).toBe('stop it');
    expect(reasons).toEqual(['stop it']);
    const [, result] = await completed;
    expect(result).toBe('second run');
    expect(await scope.redis.hmget(`bull:${queue.name}:${job.id}`, 'atm', 'ats', 'failedReason')).toEqual(['2', '2', 'stop it']);
    expect(w.cancelJob(job.id!)).toBe(false);
  });

  it('without a reason the signal aborts with the standard AbortError; a processor that returns anyway completes the job', async () => {
    const queue = scope.queue();
    const seen = deferred<unknown>();
    const w = worker(queue.name, async (_job, _token, signal) => {
      const reason = await aborted(signal);
      seen.resolve(reason);
      return 'finished anyway';
    });
    const active = once<[Job]>(w, 'active', 5000);
    const completed = once<[Job, unknown]>(w, 'completed', 5000);
    const job = await queue.add('c', {});
    await active;
    expect(w.cancelJob(job.id!)).toBe(true);
    const reason = (await seen.promise) as Error;
    expect(reason.name).toBe('AbortError');
    expect((await completed)[1]).toBe('finished anyway');
    expect((await lists(scope.redis, queue.name)).completed).toEqual([job.id]);
  });

  it('cancelAllJobs aborts every job in hand with the reason', async () => {
    const queue = scope.queue();
    const w = worker(
      queue.name,
      async (_job, _token, signal) => {
        throw new Error(`cancelled: ${String(await aborted(signal))}`);
      },
      { concurrency: 3 },
    );
    const allActive = times(w, 'active', 3, 5000);
    const allFailed = times<[Job, Error]>(w, 'failed', 3, 5000);
    const jobs = await queue.addBulk([1, 2, 3].map((i) => ({ name: 'c', data: { i } })));
    await allActive;
    w.cancelAllJobs('shutting down');
    const failed = await allFailed;
    expect(failed.map(([, e]) => e.message)).toEqual(['cancelled: shutting down', 'cancelled: shutting down', 'cancelled: shutting down']);
    expect((await lists(scope.redis, queue.name)).failed.sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('a lost lock aborts the signal with a LockLostError saying so, next to lockRenewalFailed', async () => {
    const queue = scope.queue();
    const seen = deferred<unknown>();
    const w = worker(
      queue.name,
      async (_job, _token, signal) => {
        seen.resolve(await aborted(signal));
        return 'late';
      },
      { lockDuration: 600 },
    );
    const active = once<[Job]>(w, 'active', 5000);
    const renewalFailed = once<[string[]]>(w, 'lockRenewalFailed', 5000);
    const job = await queue.add('l', {});
    await active;
    // taken from this worker as the stalled checker does: out of active, lock gone
    await takeJobAway(scope.redis, queue.name, job.id!);
    expect((await renewalFailed)[0]).toEqual([job.id]);
    const reason = (await seen.promise) as Error;
    expect(reason.name).toBe('LockLostError');
    expect(reason.message).toMatch(new RegExp(`^Lock of job ${job.id} was lost`));
  });

  it('close(true, { requeue: true }) aborts the signal with a WorkerClosedError and hands the job back to wait, no attempt used', async () => {
    const queue = scope.queue();
    const seen = deferred<unknown>();
    const w = worker(queue.name, async (_job, _token, signal) => {
      seen.resolve(await aborted(signal));
      throw new Error('interrupted');
    });
    const active = once<[Job]>(w, 'active', 5000);
    const job = await queue.add('f', {}, { attempts: 3 });
    await active;
    await w.close(true, { requeue: true });
    const reason = (await seen.promise) as Error;
    expect(reason.name).toBe('WorkerClosedError');
    expect(reason.message).toMatch(new RegExp(`job ${job.id} was moved back to wait`));
    expect((await lists(scope.redis, queue.name)).wait).toEqual([job.id]);
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'atm')).toBeNull();
  });

  it('close(true) leaves the signal alone, as bullmq 6.7 does: the job stays in active for the stalled checker', async () => {
    const queue = scope.queue();
    let signal: AbortSignal | undefined;
    const w = worker(queue.name, async (_job, _token, s) => {
      signal = s;
      return new Promise(() => {});
    });
    const active = once<[Job]>(w, 'active', 5000);
    const job = await queue.add('f', {}, { attempts: 3 });
    await active;
    await w.close(true);
    expect(signal!.aborted).toBe(false);
    expect((await lists(scope.redis, queue.name)).active).toEqual([job.id]);
  });

  it.each([
    ['cancelJob("")', (w: Worker) => w.cancelJob(''), /^jobId must be a non-empty string, got ""$/],
    ['cancelJob(5)', (w: Worker) => w.cancelJob(5 as never), /^jobId must be a non-empty string, got 5$/],
    ['cancelJob reason 5', (w: Worker) => w.cancelJob('1', 5 as never), /^reason must be a string, got 5$/],
    ['cancelAllJobs reason {}', (w: Worker) => w.cancelAllJobs({} as never), /^reason must be a string, got \{\}$/],
  ])('bad input: %s', (_label, call, message) => {
    const w = scope.track(new Worker(scope.name(), null, { connection: connection(), autorun: false }));
    let thrown: unknown;
    try {
      call(w);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConveyorValidationError);
    expect((thrown as Error).message).toMatch(message);
  });
});
