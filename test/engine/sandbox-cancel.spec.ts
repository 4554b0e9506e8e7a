// Worker#cancelJob on a sandboxed processor: the reason reaches the processor's signal inside its
// child, the processor decides the job's fate, and the child stays in the pool.
import type { Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { childId, fixture, MODES, sandboxed, type Where } from './sandbox-support.js';

describe.each(MODES)('cancelling a sandboxed job in a $mode', ({ useWorkerThreads }) => {
  const scope = scopePerTest();

  it.each([
    ['with a reason', 'no longer needed', 'no longer needed'],
    ['without a reason', undefined, 'AbortError: This operation was aborted'],
  ])('cancelJob %s aborts the signal inside the child', async (_how, reason, seen) => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const started = once<[Job, Where]>(worker, 'progress', 10000);
    const failed = once<[Job, Error]>(worker, 'failed', 10000);
    const added = await queue.add('long', { action: 'wait-abort' });
    const [, where] = await started;

    expect(worker.cancelJob(added.id!, reason)).toBe(true);
    const [job, error] = await failed;
    expect(job.id).toBe(added.id);
    expect(error.message).toBe(`stopped after abort: ${seen}`);
    expect((await queue.getJobLogs(added.id!)).logs).toEqual([`aborted: ${seen}`]);

    const next = await queue.add('where', { action: 'where' });
    const [, ran] = await once<[Job, Where]>(worker, 'completed', 10000, (j) => j.id === next.id);
    expect(childId(ran, useWorkerThreads)).toBe(childId(where, useWorkerThreads));
  });
});
