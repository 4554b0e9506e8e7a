import {
  OnJobActive,
  OnJobCompleted,
  OnJobFailed,
  OnJobProgress,
  OnJobStalled,
  OnWorkerDrained,
  OnWorkerError,
  OnWorkerEvent,
  Process,
  Processor,
  QueueModule,
  Worker,
  WorkerRegistry,
  getQueueToken,
  type Job,
  type Queue,
} from 'nestjs-conveyor';
import { rawClient, takeJobAway, uniqueName } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('worker event decorators in the processor class', () => {
  const nest = nestPerTest();

  function setup(name: string, processor: abstract new (...args: never[]) => unknown) {
    nest.removeKeysOf(name);
    return nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [processor as new () => unknown],
    });
  }

  it('calls @OnJobActive, @OnJobProgress, @OnJobCompleted, @OnJobFailed and @OnWorkerDrained with the event arguments', async () => {
    const name = uniqueName('e2e-events');
    const calls: Record<string, unknown[][]> = {};
    const record = (event: string, args: unknown[]) => (calls[event] ??= []).push(args);
    const drained = deferred(5000, 'drained');

    @Processor(name)
    class Recorder {
      @Process('ok')
      async ok(job: Job) {
        await job.updateProgress(50);
        return { sum: 3 };
      }

      @Process('bad')
      bad() {
        throw new Error('boom');
      }

      @OnJobActive() active(job: Job, prev: string) {
        record('active', [job.name, prev]);
      }
      @OnJobProgress() progress(job: Job, progress: unknown) {
        record('progress', [job.name, progress]);
      }
      @OnJobCompleted() completed(job: Job, result: unknown, prev: string) {
        record('completed', [job.name, result, prev]);
      }
      @OnJobFailed() failed(job: Job, err: Error, prev: string) {
        record('failed', [job.name, err.message, prev]);
      }
      @OnWorkerDrained() drained(...args: unknown[]) {
        record('drained', args);
        if (calls.completed && calls.failed) drained.resolve();
      }
    }

    const booted = await setup(name, Recorder);
    const queue = booted.app.get<Queue>(getQueueToken(name));
    await queue.addBulk([
      { name: 'ok', data: {} },
      { name: 'bad', data: {} },
    ]);
    await drained.promise;

    expect(calls.active).toEqual([
      ['ok', 'waiting'],
      ['bad', 'waiting'],
    ]);
    expect(calls.progress).toEqual([['ok', 50]]);
    expect(calls.completed).toEqual([['ok', { sum: 3 }, 'active']]);
    expect(calls.failed).toEqual([['bad', 'boom', 'active']]);
    expect(calls.drained.at(-1)).toEqual([]);
  });

  it('calls @OnWorkerError and @OnWorkerEvent(name) when a job loses its lock, and the job sees its signal aborted', async () => {
    const name = uniqueName('e2e-lock');
    const started = deferred<Job>(5000, 'job start');
    const aborted = deferred<unknown>(5000, 'abort');
    const lost = deferred<unknown[]>(5000, 'lockRenewalFailed');
    const errors: string[] = [];

    @Processor(name, { lockDuration: 400 })
    class LockHolder {
      @Process()
      run(job: Job, _token: string, signal: AbortSignal) {
        started.resolve(job);
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(aborted.resolve(signal.reason))));
      }

      @OnWorkerEvent('lockRenewalFailed') lockLost(...args: unknown[]) {
        lost.resolve(args);
      }
      @OnWorkerError() error(err: Error) {
        errors.push(err.message);
      }
    }

    const booted = await setup(name, LockHolder);
    const job = await booted.app.get<Queue>(getQueueToken(name)).add('long', {});
    await started.promise;
    const client = rawClient();
    try {
      await takeJobAway(client, name, job.id!);
    } finally {
      client.disconnect();
    }
    expect(await lost.promise).toEqual([[job.id]]);
    expect(String(await aborted.promise)).toContain('Lock of job');
    expect(errors.some((m) => m.includes(`Lock of job ${job.id}`))).toBe(true);
  });

  it('calls @OnJobStalled with the job id when the stalled checker recovers a job another worker abandoned', async () => {
    const name = uniqueName('e2e-stalled');
    const stalled = deferred<unknown[]>(8000, 'stalled');
    const processed = deferred<string>(8000, 'reprocessed');

    @Processor(name, { autorun: false, stalledInterval: 300 })
    class StallWatcher {
      @Process() run(job: Job) {
        processed.resolve(job.id!);
      }
      @OnJobStalled() stalled(...args: unknown[]) {
        stalled.resolve(args);
      }
    }

    const booted = await setup(name, StallWatcher);
    const queue = booted.app.get<Queue>(getQueueToken(name));
    // a plain engine worker takes the job and then never renews its lock: the job stalls
    const taken = deferred(5000, 'taken');
    const abandoned = new Worker(
      name,
      () => {
        taken.resolve();
        return new Promise(() => {});
      },
      {
        connection: redisOptions(),
        lockDuration: 200,
        skipLockRenewal: true,
        skipStalledCheck: true,
      },
    );
    try {
      const job = await queue.add('work', {});
      await taken.promise;
      booted.app.get(WorkerRegistry).start(name);
      expect(await stalled.promise).toEqual([job.id, 'active']);
      expect(await processed.promise).toBe(job.id);
    } finally {
      await abandoned.close(true);
    }
  });
});
