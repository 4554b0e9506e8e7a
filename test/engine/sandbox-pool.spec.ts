// The children of a sandboxed processor: one per concurrency slot, reused across jobs, all ended by
// close(); a job's aborted signal reaches the processor inside its child.
import type { Job, Queue, Worker } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { takeJobAway } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { childId, fixture, isAlive, liveChildren, MODES, sandboxed, type Where } from './sandbox-support.js';

describe.each(MODES)('sandboxed processor pool in a $mode', ({ useWorkerThreads }) => {
  const scope = scopePerTest();

  const idOf = (where: Where) => childId(where, useWorkerThreads);

  it('reuses one child for job after job', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const ran: number[] = [];
    for (let n = 0; n < 4; n++) ran.push(idOf(await runJob(queue, worker)));
    expect(new Set(ran).size).toBe(1);
    expect(liveChildren(worker)).toBe(1);
  });

  it('concurrency N runs N children side by side and keeps them for the next jobs', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads, concurrency: 3 });
    const first = await runSideBySide(scope, queue, worker, 3, useWorkerThreads);
    expect(new Set(first).size).toBe(3);
    expect(liveChildren(worker)).toBe(3);

    const next: number[] = [];
    for (let n = 0; n < 3; n++) next.push(idOf(await runJob(queue, worker)));
    for (const id of next) expect(first).toContain(id);
    expect(liveChildren(worker)).toBe(3);
  });

  it('a lower concurrency lets the extra children go as they come back', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads, concurrency: 2 });
    await runSideBySide(scope, queue, worker, 2, useWorkerThreads);
    expect(liveChildren(worker)).toBe(2);
    worker.concurrency = 1;
    await runJob(queue, worker);
    // the child that came back beyond the limit is ended (it takes a moment to be gone)
    await until(
      'the extra child to be gone',
      () => liveChildren(worker),
      (n) => n === 1,
    );
    const kept = idOf(await runJob(queue, worker));
    expect(idOf(await runJob(queue, worker))).toBe(kept);
    expect(liveChildren(worker)).toBe(1);
  });

  it(`${useWorkerThreads ? 'workerThreadsOptions' : 'workerForkOptions'} reach every child`, async () => {
    const env = { ...process.env, SANDBOX_MARK: 'from the options' };
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), {
      useWorkerThreads,
      ...(useWorkerThreads ? { workerThreadsOptions: { env } } : { workerForkOptions: { env, execArgv: ['--stack-size=2000'] } }),
    });
    const completed = once<[Job, { mark: string; execArgv: string[] }]>(worker, 'completed', 10000);
    await queue.add('env', { action: 'env' });
    const [, result] = await completed;
    expect(result.mark).toBe('from the options');
    if (!useWorkerThreads) expect(result.execArgv).toEqual(['--stack-size=2000']);
  });

  it('close() ends every child and waits until they are gone', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads, concurrency: 2 });
    const ids = await runSideBySide(scope, queue, worker, 2, useWorkerThreads);
    expect(liveChildren(worker)).toBe(2);
    if (!useWorkerThreads) for (const pid of ids) expect(isAlive(pid)).toBe(true);

    await worker.close();
    expect(liveChildren(worker)).toBe(0);
    if (!useWorkerThreads) for (const pid of ids) expect(isAlive(pid)).toBe(false);
  });

  it('close(true, { requeue: true }) ends a child that ignores its signal and hands its job back to wait', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const started = once<[Job, { pid: number; threadId: number }]>(worker, 'progress', 10000);
    const added = await queue.add('hang', { action: 'hang' });
    const [, where] = await started;

    await worker.close(true, { requeue: true });
    expect(liveChildren(worker)).toBe(0);
    if (!useWorkerThreads) expect(isAlive(where.pid)).toBe(false);
    expect(await queue.getJobState(added.id!)).toBe('waiting');
  });

  it('close(true) ends the busy child and leaves its job in active for the stalled checker', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const started = once<[Job, { pid: number; threadId: number }]>(worker, 'progress', 10000);
    const added = await queue.add('hang', { action: 'hang' });
    const [, where] = await started;

    await worker.close(true);
    expect(liveChildren(worker)).toBe(0);
    if (!useWorkerThreads) expect(isAlive(where.pid)).toBe(false);
    expect(await queue.getJobState(added.id!)).toBe('active');
  });

  it('a job whose signal aborts (its lock was lost) sees the reason inside its child, which stays in the pool', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads, skipLockRenewal: true });
    const started = once<[Job, Where]>(worker, 'progress', 10000);
    const added = await queue.add('long', { action: 'wait-abort' });
    const [, where] = await started;
    // the job is taken away (out of active, lock gone, as the stalled checker does): the next
    // renewal finds it gone and aborts the job's signal
    await takeJobAway(scope.redis, queue.name, added.id!);
    const refused = once<[Error]>(worker, 'error', 10000, (err) => err.message.startsWith(`Missing lock for job ${added.id}`));
    await worker.renewLocks();
    await refused;

    const { logs } = await queue.getJobLogs(added.id!);
    expect(logs).toEqual([expect.stringMatching(new RegExp(`^aborted: LockLostError: Lock of job ${added.id} was lost`))]);
    expect(idOf(await runJob(queue, worker))).toBe(idOf(where));
  });
});

/** Adds a job and resolves with where it ran. */
async function runJob(queue: Queue, worker: Worker): Promise<Where> {
  const added = await queue.add('where', { action: 'where' });
  const [, result] = await once<[Job, Where]>(worker, 'completed', 15000, (job) => job.id === added.id);
  return result;
}

/**
 * Runs `count` jobs that each hold their child until all of them have started (they wait on a
 * Redis list), so `count` children are seen at the same time; resolves with their ids.
 */
async function runSideBySide(scope: Scope, queue: Queue, worker: Worker, count: number, useWorkerThreads: boolean): Promise<number[]> {
  const releaseKey = `bull:${queue.name}:release`;
  const started = times<[Job, Where]>(worker, 'progress', count, 15000);
  const completed = times<[Job, Where]>(worker, 'completed', count, 15000);
  for (let n = 0; n < count; n++) await queue.add('barrier', { action: 'barrier', releaseKey });
  const seen = await started;
  await scope.redis.rpush(releaseKey, ...seen.map(() => 'go'));
  await completed;
  await scope.redis.del(releaseKey);
  return seen.map(([, where]) => childId(where, useWorkerThreads));
}
