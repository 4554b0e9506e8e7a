// JobRunner: a job's way from taken to stored, driven directly against the real Redis with the
// real FinishBatcher and HeldJobMoves behind it (the fetch-next is turned off: nothing to start).
import { RateLimitError } from '../../lib/engine/core/errors.js';
import type { Job } from '../../lib/engine/job/job.js';
import { FinishBatcher } from '../../lib/engine/worker/finish-batcher.js';
import { HeldJobMoves } from '../../lib/engine/worker/held-moves.js';
import { JobRunner } from '../../lib/engine/worker/job-runner.js';
import type { WorkerOptions } from '../../lib/engine/worker/options.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, within } from '../support/wait.js';
import { partsFixture, takeJobs } from './worker-parts-support.js';

type Process = (job: Job, token: string, signal: AbortSignal) => unknown;

describe('JobRunner', () => {
  const scope = scopePerTest();

  async function runnerOf(process: Process, opts: WorkerOptions = {}) {
    const fx = await partsFixture(scope, opts);
    const limits: number[] = [];
    const heldMoves = new HeldJobMoves(fx.context);
    const batcher = new FinishBatcher({
      ...fx.context,
      // no fetch-next: the runner is under test, not the loop
      next: {
        claimNext: () => ({ requested: 0, reserved: 0 }),
        parseFetch: () => ({ rateLimitTtl: 0, nextDelayed: 0, jobs: [] }),
        take: () => {},
      },
      retryPause: async () => false,
      handBackAll: async () => {},
    });
    const runner = new JobRunner({
      ...fx.context,
      process,
      tracing: undefined,
      scheduleNext: async () => true,
      batcher,
      heldMoves,
      rateLimited: (ms) => limits.push(ms),
    });
    /** Takes the next job, runs it, resolves once its processing chain settled. */
    const runOne = async (): Promise<Job> => {
      const [job] = await takeJobs(fx, 1);
      runner.start(job);
      const entry = fx.context.slots.get(job.id!)!;
      expect(entry.job).toBe(job);
      await within(entry.done!, 5000, `the processing of job ${job.id}`);
      return job;
    };
    return { fx, runner, runOne, limits };
  }

  const hash = (name: string, id: string, ...fields: string[]) => scope.redis.hmget(`bull:${name}:${id}`, ...fields);

  it("completes a job: 'active', the processor with (job, token, signal), 'completed', the slot freed", async () => {
    const seen: unknown[][] = [];
    const { fx, runOne } = await runnerOf((job, token, signal) => {
      seen.push([job.name, token, signal instanceof AbortSignal]);
      return { ok: job.name };
    });
    await fx.queue.add('a', {});
    const job = await runOne();
    expect(seen).toEqual([['a', job.token, true]]);
    expect(fx.events.names(['error'])).toEqual(['active', 'completed']);
    expect(fx.events.of('completed')).toEqual([[job, { ok: 'a' }, 'active']]);
    expect(job.attemptsMade).toBe(1);
    expect(await hash(fx.name, job.id!, 'returnvalue', 'atm')).toEqual([JSON.stringify({ ok: 'a' }), '1']);
    expect(fx.context.slots.get(job.id!)).toBeUndefined();
    expect(fx.context.slots.processingCount).toBe(0);
  });

  it("a processor that throws with attempts left: retried at once, 'failed' with the error, the job back in wait", async () => {
    const { fx, runOne } = await runnerOf(() => {
      throw new Error('boom');
    });
    await fx.queue.add('a', {}, { attempts: 2 });
    const job = await runOne();
    expect(fx.events.of('failed').map(([j, err]) => [j, (err as Error).message])).toEqual([[job, 'boom']]);
    expect(await scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1)).toEqual([job.id]);
    expect(await hash(fx.name, job.id!, 'failedReason', 'atm')).toEqual(['boom', '1']);
  });

  it('the last attempt fails the job for good, with its stacktrace', async () => {
    const { fx, runOne } = await runnerOf(() => {
      throw new Error('boom');
    });
    await fx.queue.add('a', {});
    const job = await runOne();
    expect(await scope.redis.zscore(`bull:${fx.name}:failed`, job.id!)).not.toBeNull();
    const [stacktrace] = await hash(fx.name, job.id!, 'stacktrace');
    expect(JSON.parse(stacktrace!)[0]).toContain('Error: boom');
  });

  it('a RateLimitError hands the job back, no attempt used, and tells the loop how long the limit holds', async () => {
    const { fx, runOne, limits } = await runnerOf(() => {
      throw new RateLimitError();
    });
    await fx.queue.add('a', {});
    const job = await runOne();
    expect(fx.events.of('failed')).toEqual([]);
    expect(limits).toEqual([0]);
    expect(await scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1)).toEqual([job.id]);
    expect(await hash(fx.name, job.id!, 'atm')).toEqual([null]);
  });

  it('a job that failed while waiting, or started too often, fails without running the processor', async () => {
    let runs = 0;
    const { fx, runOne } = await runnerOf(
      () => {
        runs += 1;
      },
      { maxStartedAttempts: 1 },
    );
    const deferredJob = await fx.queue.add('deferred', {});
    await scope.redis.hset(`bull:${fx.name}:${deferredJob.id}`, 'defa', 'job stalled more than allowable limit');
    const first = await runOne();
    const started = await fx.queue.add('started', {});
    await scope.redis.hset(`bull:${fx.name}:${started.id}`, 'ats', '1');
    const second = await runOne();
    expect(runs).toBe(0);
    expect(fx.events.names(['error'])).toEqual(['failed', 'failed']);
    expect(await hash(fx.name, first.id!, 'failedReason')).toEqual(['job stalled more than allowable limit']);
    expect(await hash(fx.name, second.id!, 'failedReason')).toEqual(['job started more than allowable limit']);
  });

  it('a return value that cannot be stored as JSON fails the attempt', async () => {
    const { fx, runOne } = await runnerOf(() => ({ big: 10n }));
    await fx.queue.add('a', {});
    const job = await runOne();
    expect(fx.events.of('completed')).toEqual([]);
    const [reason] = await hash(fx.name, job.id!, 'failedReason');
    expect(reason).toContain('cannot be stored as JSON');
  });

  it('a job let go of while its processor ran (forced close): its outcome is not stored', async () => {
    const gate = deferred();
    const { fx, runner } = await runnerOf(async () => {
      await gate.promise;
      return 'late';
    });
    await fx.queue.add('a', {});
    const [job] = await takeJobs(fx, 1);
    runner.start(job);
    const entry = fx.context.slots.get(job.id!)!;
    entry.abandoned = true;
    gate.resolve();
    await within(entry.done!, 5000, 'the processing');
    expect(fx.events.of('completed')).toEqual([]);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([job.id]);
  });
});
