// Job#removeUnprocessedChildren (wire-format §7.9): the children that have not run go, with their
// own children; completed, failed, active and locked ones stay.
import { Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('Job.removeUnprocessedChildren', () => {
  const scope = scopePerTest('flow');

  it('removes waiting, prioritized, delayed and waiting-children children with their subtrees, in any queue; keeps the rest', async () => {
    const [qp, qc, qo] = [scope.name('rp'), scope.name('rc'), scope.name('ro')];
    const tree = await scope.producer().add({
      name: 'parent',
      queueName: qp,
      opts: { jobId: 'par' },
      children: [
        { name: 'done', queueName: qc, opts: { jobId: 'done' } },
        { name: 'bad', queueName: qc, opts: { jobId: 'bad' } },
        { name: 'busy', queueName: qc, opts: { jobId: 'busy' } },
        { name: 'w', queueName: qc, opts: { jobId: 'w' } },
        { name: 'pr', queueName: qc, opts: { jobId: 'pr', priority: 2 } },
        { name: 'dl', queueName: qc, opts: { jobId: 'dl', delay: 60_000 } },
        { name: 'ow', queueName: qo, opts: { jobId: 'ow' } },
        {
          name: 'sub',
          queueName: qc,
          opts: { jobId: 'sub' },
          children: [
            { name: 'gc', queueName: qc, opts: { jobId: 'gc' } },
            { name: 'gco', queueName: qo, opts: { jobId: 'gco' } },
          ],
        },
      ],
    });
    // done completes, bad fails (it stays a pending dependency: no parent rule), busy stays active
    const { promise: held, resolve: release } = scope.gate();
    const worker = scope.worker(qc, async (job: Job) => {
      if (job.id === 'bad') throw new Error('boom');
      if (job.id === 'busy') await held;
    });
    const busy = once(worker, 'active', 5000, (job: Job) => job.id === 'busy');
    await busy;
    scope.track({ close: async () => release() });

    await tree.job.removeUnprocessedChildren();

    const exists = async (queue: string, id: string) => (await scope.redis.exists(`bull:${queue}:${id}`)) === 1;
    for (const id of ['done', 'bad', 'busy']) expect(await exists(qc, id)).toBe(true);
    for (const id of ['w', 'pr', 'dl', 'sub', 'gc']) expect(await exists(qc, id)).toBe(false);
    for (const id of ['ow', 'gco']) expect(await exists(qo, id)).toBe(false);
    expect((await scope.redis.smembers(`bull:${qp}:par:dependencies`)).sort()).toEqual([`bull:${qc}:bad`, `bull:${qc}:busy`]);
    expect(await scope.redis.hkeys(`bull:${qp}:par:processed`)).toEqual([`bull:${qc}:done`]);
    expect(await tree.job.getState()).toBe('waiting-children');
    const removed = (await streamEvents(scope.redis, qc)).filter((e) => e.event === 'removed').map((e) => `${e.jobId}<${e.prev}`);
    expect(removed.sort()).toEqual(['dl<delayed', 'gc<wait', 'pr<prioritized', 'sub<waiting-children', 'w<wait']);
    expect(
      (await streamEvents(scope.redis, qo))
        .filter((e) => e.event === 'removed')
        .map((e) => e.jobId)
        .sort(),
    ).toEqual(['gco', 'ow']);
  });

  it('releases the parent once nothing is pending; leaves a locked grandchild, and a parent that does not exist, alone', async () => {
    const [qp, qc] = [scope.name('rp'), scope.name('rc')];
    const tree = await scope.producer().add({
      name: 'parent',
      queueName: qp,
      opts: { jobId: 'par' },
      children: [
        { name: 'w', queueName: qc, opts: { jobId: 'w' } },
        { name: 'sub', queueName: qc, opts: { jobId: 'sub' }, children: [{ name: 'gbusy', queueName: qp, opts: { jobId: 'gbusy' } }] },
      ],
    });
    const { promise: held, resolve: release } = scope.gate();
    const worker = scope.worker(qp, async () => held);
    await once(worker, 'active', 5000);
    scope.track({ close: async () => release() });

    await tree.job.removeUnprocessedChildren();

    expect(await tree.job.getState()).toBe('waiting');
    expect((await streamEvents(scope.redis, qp)).at(-1)).toMatchObject({ event: 'waiting', jobId: 'par', prev: 'waiting-children' });
    expect(await scope.redis.exists(`bull:${qc}:sub`, `bull:${qc}:w`)).toBe(0);
    expect(await scope.redis.exists(`bull:${qp}:gbusy`, `bull:${qp}:gbusy:lock`)).toBe(2);

    const ghost = new Job(scope.queue(qp), 'ghost', {}, {}, 'ghost');
    await expect(ghost.removeUnprocessedChildren()).resolves.toBeUndefined();
    expect(await scope.redis.exists(`bull:${qp}:ghost`)).toBe(0);
  });
});
