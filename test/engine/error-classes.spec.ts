// Conveyor's own error classes: four errors that were only a name set on a plain Error are classes,
// exported from the package root and the engine, with the names and messages they had, so that
// `instanceof` tells them apart where a user meets them.
import * as engine from '../../lib/engine/index.js';
import {
  DelayedError,
  JobNotMovedError,
  LockLostError,
  NonErrorThrown,
  type Worker,
  WorkerClosedError,
  type Job,
} from '../../lib/index.js';
import { once } from '../support/events.js';
import { takeJobAway } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { aborted, deferred } from '../support/wait.js';

describe("Conveyor's error classes", () => {
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

  it.each([
    ['LockLostError', LockLostError],
    ['WorkerClosedError', WorkerClosedError],
    ['JobNotMovedError', JobNotMovedError],
    ['NonErrorThrown', NonErrorThrown],
  ] as const)('%s is an Error of its own name, the same class from the package root and the engine', (name, ErrorClass) => {
    const error = new ErrorClass('what happened');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe('what happened');
    expect(String(error)).toBe(`${name}: what happened`);
    expect(error.stack?.split('\n')[0]).toBe(`${name}: what happened`);
    expect((engine as Record<string, unknown>)[name]).toBe(ErrorClass);
  });

  it('a processor that throws no Error fails the attempt with a NonErrorThrown whose cause is what it threw', async () => {
    const queue = scope.queue();
    const w = worker(queue.name, async () => {
      throw 'just a string';
    });
    const failed = once<[Job, Error]>(w, 'failed', 5000);
    await queue.add('s', {});
    const [, error] = await failed;
    expect(error).toBeInstanceOf(NonErrorThrown);
    expect(error.message).toBe('just a string');
    expect(error.cause).toBe('just a string');
  });

  it('a processor that throws DelayedError without moving its job fails the attempt with a JobNotMovedError', async () => {
    const queue = scope.queue();
    const thrown = new DelayedError();
    const w = worker(queue.name, async () => {
      throw thrown;
    });
    const failed = once<[Job, Error]>(w, 'failed', 5000);
    const job = await queue.add('d', {});
    const [, error] = await failed;
    expect(error).toBeInstanceOf(JobNotMovedError);
    expect(error.message).toMatch(new RegExp(`^The processor threw DelayedError but job ${job.id} was not moved`));
    expect(error.cause).toBe(thrown);
  });

  it("a lost lock aborts the processor's signal with a LockLostError", async () => {
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
    const job = await queue.add('l', {});
    await active;
    await takeJobAway(scope.redis, queue.name, job.id!);
    const reason = await seen.promise;
    expect(reason).toBeInstanceOf(LockLostError);
    expect((reason as Error).message).toMatch(new RegExp(`^Lock of job ${job.id} was lost`));
  });

  it("close(true, { requeue: true }) aborts the processor's signal with a WorkerClosedError", async () => {
    const queue = scope.queue();
    const seen = deferred<unknown>();
    const w = worker(queue.name, async (_job, _token, signal) => {
      seen.resolve(await aborted(signal));
      throw new Error('interrupted');
    });
    const active = once<[Job]>(w, 'active', 5000);
    const job = await queue.add('c', {});
    await active;
    await w.close(true, { requeue: true });
    const reason = await seen.promise;
    expect(reason).toBeInstanceOf(WorkerClosedError);
    expect((reason as Error).message).toMatch(new RegExp(`job ${job.id} was moved back to wait$`));
  });
});
