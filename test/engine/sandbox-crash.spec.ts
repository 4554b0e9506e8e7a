// Sandboxed processors that crash, or cannot be loaded: only the job in hand fails, with a reason
// that says what happened, and the worker goes on with a fresh child.
import type { Job, Queue, Worker } from '../../lib/index.js';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { childId, fixture, isAlive, MODES, sandboxed, type Where } from './sandbox-support.js';

interface Crash {
  kind: string;
  data: Record<string, unknown>;
  reason: (jobId: string) => RegExp;
  /** The child's own stack reaches the job's stacktrace. */
  childStack?: boolean;
  onlyIn?: 'child process' | 'worker thread';
}

const CRASHES: Crash[] = [
  {
    kind: 'process.exit(1)',
    data: { action: 'exit', code: 1 },
    reason: (id) => new RegExp(`^sandboxed processor exited with code 1 while processing job ${id}$`),
  },
  {
    kind: 'process.exit(0)',
    data: { action: 'exit', code: 0 },
    reason: (id) => new RegExp(`^sandboxed processor exited with code 0 while processing job ${id}$`),
  },
  {
    kind: 'an uncaught exception',
    data: { action: 'uncaught' },
    reason: (id) => new RegExp(`^sandboxed processor crashed while processing job ${id}: thrown from a timer$`),
    childStack: true,
  },
  {
    kind: 'an unhandled rejection',
    data: { action: 'unhandled' },
    reason: (id) => new RegExp(`^sandboxed processor crashed while processing job ${id}: rejected and never handled$`),
    childStack: true,
  },
  {
    kind: 'SIGKILL',
    data: { action: 'kill' },
    reason: (id) => new RegExp(`^sandboxed processor was killed by SIGKILL while processing job ${id}$`),
    onlyIn: 'child process',
  },
  {
    kind: 'running out of memory',
    data: { action: 'oom' },
    reason: (id) => new RegExp(`^sandboxed processor ran out of memory \\(.*\\) while processing job ${id}$`),
    onlyIn: 'worker thread',
  },
];

describe.each(MODES)('sandboxed processor crashes in a $mode', ({ mode, useWorkerThreads }) => {
  const scope = scopePerTest();

  const crashes = CRASHES.filter((c) => !c.onlyIn || c.onlyIn === mode);

  it.each(crashes)('$kind fails only that job; the next job runs in a fresh child', async ({ data, reason, childStack }) => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), {
      useWorkerThreads,
      // a small heap, so running out of memory comes fast
      workerThreadsOptions: { resourceLimits: { maxOldGenerationSizeMb: 32 } },
    });
    const before = await runJob(queue, worker);
    const failed = once<[Job, Error]>(worker, 'failed', 15000);
    const crashing = await queue.add('crash', data, { attempts: 1 });
    const [failedJob, error] = await failed;
    expect(failedJob.id).toBe(crashing.id);
    expect(error.message).toMatch(reason(crashing.id!));
    const stored = await queue.getJob(crashing.id!);
    expect(stored?.failedReason).toMatch(reason(crashing.id!));
    expect(await stored?.getState()).toBe('failed');
    if (childStack) expect(stored?.stacktrace[0]).toContain('actions.cjs');
    else expect(stored?.stacktrace).toEqual([]);

    const after = await runJob(queue, worker);
    expect(childId(after, useWorkerThreads)).not.toBe(childId(before, useWorkerThreads));
    // the crash report can come before the child is gone; it must go
    if (!useWorkerThreads)
      await until(
        `crashed child ${before.pid} gone`,
        () => isAlive(before.pid),
        (alive) => !alive,
      );
    expect(worker.isRunning()).toBe(true);
  });

  it('a crash is retried like any failure', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failed = once<[Job, Error]>(worker, 'failed', 15000, (job) => job.attemptsMade === 2);
    const added = await queue.add('crash', { action: 'exit', code: 7 }, { attempts: 2 });
    const [job, error] = await failed;
    expect(error.message).toBe(`sandboxed processor exited with code 7 while processing job ${added.id}`);
    expect(job.attemptsMade).toBe(2);
    expect(await (await queue.getJob(added.id!))?.getState()).toBe('failed');
  });

  it('a child that crashes between jobs is reported as a worker error and replaced', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const errored = once<[Error]>(worker, 'error', 15000, (err) => /between jobs/.test(err.message));
    const first = await runJob(queue, worker, { action: 'throw-later' });
    const [error] = await errored;
    expect(error.message).toBe(`sandboxed processor ${fixture('processor.cjs')} crashed between jobs: thrown after the job`);
    expect(error.stack).toContain('actions.cjs');
    const next = await runJob(queue, worker);
    expect(childId(next, useWorkerThreads)).not.toBe(childId(first, useWorkerThreads));
  });

  it.each([
    [
      'throws while loading',
      'top-level-throw.cjs',
      (path: string) => `sandboxed processor ${path} could not be loaded: broken at load time`,
    ],
    ['exits while loading', 'top-level-exit.cjs', (path: string) => `sandboxed processor ${path} exited with code 3 while loading`],
    [
      'exports no function',
      'not-a-function.cjs',
      (path: string) =>
        `sandboxed processor ${path} must export a function (export default or module.exports), but its export is an object with keys handler`,
    ],
    [
      'has no default export',
      'named-export.mjs',
      (path: string) =>
        `sandboxed processor ${path} must export a function (export default or module.exports), but it has no default export`,
    ],
  ])('a file that %s fails each job with a reason naming the file; the worker keeps going', async (_what, file, reason) => {
    const { queue, worker } = sandboxed(scope, fixture(file), { useWorkerThreads });
    for (const n of [1, 2]) {
      const failed = once<[Job, Error]>(worker, 'failed', 15000);
      const added = await queue.add('n', { n });
      const [job, error] = await failed;
      expect(job.id).toBe(added.id);
      expect(error.message).toBe(reason(fixture(file)));
      expect(worker.isRunning()).toBe(true);
    }
  });

  it('a TypeScript file that Node cannot load says to compile it', async () => {
    const { queue, worker } = sandboxed(scope, fixture('typescript.ts'), { useWorkerThreads });
    const canStripTypes = (process.features as { typescript?: unknown }).typescript !== undefined;
    if (canStripTypes) {
      // newer Node runs it as it is
      const completed = once<[Job, unknown]>(worker, 'completed', 15000);
      await queue.add('n', { n: 21 });
      expect((await completed)[1]).toBe(42);
      return;
    }
    const failed = once<[Job, Error]>(worker, 'failed', 15000);
    await queue.add('n', { n: 21 });
    const [, error] = await failed;
    expect(error.message).toContain(`sandboxed processor ${fixture('typescript.ts')} could not be loaded: Unknown file extension ".ts"`);
    expect(error.message).toContain('TypeScript processor files must be compiled first: pass the compiled .js, .mjs or .cjs file');
  });
});

/** Adds a job and resolves with where it ran. */
async function runJob(queue: Queue, worker: Worker, data: object = { action: 'where' }): Promise<Where> {
  const added = await queue.add('where', data);
  const [, result] = await once<[Job, Where]>(worker, 'completed', 15000, (job) => job.id === added.id);
  return result;
}
