// Reading flows back: FlowProducer#getFlow, Job#getDependencies (whole or by pages) and
// Job#getDependenciesCount, over a parent whose children are in every state.
import { ConveyorValidationError, type Job, type JobNode } from '../../lib/index.js';
import { times } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { shape, sortedShape } from './flow-support.js';

describe('reading flows', () => {
  const scope = scopePerTest('flow');

  /**
   * Parent "P" with children c1, c2 (completed), c3 (failed, ignored), c4 and c5 (failed with
   * failParentOnFailure) and c6 (pending), all processed by a Conveyor worker.
   */
  async function parentWithEveryKind() {
    const [qp, qc] = [scope.name('gp'), scope.name('gc')];
    const flows = scope.producer();
    const tree = await flows.add({
      name: 'root',
      queueName: qp,
      data: {},
      opts: { jobId: 'P' },
      children: [
        { name: 'ok', queueName: qc, data: { v: 1 }, opts: { jobId: 'c1' } },
        { name: 'ok', queueName: qc, data: { v: 2 }, opts: { jobId: 'c2' } },
        { name: 'bad', queueName: qc, data: {}, opts: { jobId: 'c3', ignoreDependencyOnFailure: true } },
        { name: 'bad', queueName: qc, data: {}, opts: { jobId: 'c4', failParentOnFailure: true } },
        { name: 'bad', queueName: qc, data: {}, opts: { jobId: 'c5', failParentOnFailure: true } },
        { name: 'slow', queueName: qc, data: {}, opts: { jobId: 'c6', delay: 60_000 } },
      ],
    });
    const worker = scope.worker(
      qc,
      async (job: Job) => {
        if (job.name === 'bad') throw new Error(`boom ${job.id}`);
        return { v: job.data.v, id: job.id };
      },
      { concurrency: 1 },
    );
    await Promise.all([times(worker, 'completed', 2, 5000), times(worker, 'failed', 3, 5000)]);
    const key = (id: string) => `bull:${qc}:${id}`;
    return { flows, qp, qc, parent: tree.job, key };
  }

  it('getDependencies without options lists every kind; getDependenciesCount counts them', async () => {
    const { parent, key } = await parentWithEveryKind();
    const deps = await parent.getDependencies();
    expect(deps).toEqual({
      processed: { [key('c1')]: { v: 1, id: 'c1' }, [key('c2')]: { v: 2, id: 'c2' } },
      unprocessed: [key('c6')],
      failed: [key('c4'), key('c5')],
      ignored: { [key('c3')]: 'boom c3' },
    });
    expect(await parent.getDependencies({})).toEqual(deps);
    expect(await parent.getChildrenValues()).toEqual(deps.processed);
    expect(await parent.getIgnoredChildrenFailures()).toEqual({ [key('c3')]: 'boom c3' });
    expect(await parent.getFailedChildrenValues()).toEqual({ [key('c3')]: 'boom c3' });
    expect(await parent.getDependenciesCount()).toEqual({ processed: 2, unprocessed: 1, failed: 2, ignored: 1 });
    expect(await parent.getDependenciesCount({})).toEqual({ processed: 2, unprocessed: 1, failed: 2, ignored: 1 });
    expect(await parent.getDependenciesCount({ failed: true, ignored: true })).toEqual({ failed: 2, ignored: 1 });
    expect(await parent.getDependenciesCount({ processed: false, unprocessed: true })).toEqual({ unprocessed: 1 });
    expect(await parent.getDependenciesCount({ processed: false })).toEqual({});
  });

  it('getDependencies by pages: cursors for each kind asked for, failed ones paged by rank', async () => {
    const { parent, key } = await parentWithEveryKind();
    expect(await parent.getDependencies({ processed: {} })).toEqual({
      processed: { [key('c1')]: { v: 1, id: 'c1' }, [key('c2')]: { v: 2, id: 'c2' } },
      nextProcessedCursor: 0,
    });
    expect(await parent.getDependencies({ ignored: { cursor: 0, count: 5 } })).toEqual({
      ignored: { [key('c3')]: 'boom c3' },
      nextIgnoredCursor: 0,
    });
    expect(await parent.getDependencies({ failed: { count: 1 } })).toEqual({ failed: [key('c4')], nextFailedCursor: 1 });
    expect(await parent.getDependencies({ failed: { cursor: 1, count: 1 } })).toEqual({ failed: [key('c5')], nextFailedCursor: 0 });
    expect(await parent.getDependencies({ failed: {}, unprocessed: { count: 10 } })).toEqual({
      failed: [key('c4'), key('c5')],
      nextFailedCursor: 0,
      unprocessed: [key('c6')],
      nextUnprocessedCursor: 0,
    });
  });

  it('getDependencies pages through a large set of pending children with SCAN cursors', async () => {
    const [qp, qc] = [scope.name('gp'), scope.name('gc')];
    // more than any compact set encoding holds, so SCAN really pages
    const children = Array.from({ length: 150 }, (_, i) => ({
      name: 'kid',
      queueName: qc,
      data: {},
      opts: { jobId: `k${i}`, delay: 60_000 },
    }));
    const tree = await scope.producer().add({ name: 'root', queueName: qp, data: {}, children });
    const seen = new Set<string>();
    let cursor = 0;
    let pages = 0;
    do {
      const page = await tree.job.getDependencies({ unprocessed: { cursor, count: 10 } });
      page.unprocessed!.forEach((k) => seen.add(k));
      cursor = page.nextUnprocessedCursor!;
      pages += 1;
    } while (cursor !== 0);
    expect(seen.size).toBe(150);
    expect(pages).toBeGreaterThan(3);

    // getFlow reads maxChildren (a hint) per kind, 20 by default
    const flows = scope.producer();
    const some = await flows.getFlow({ id: tree.job.id!, queueName: qp, maxChildren: 5 });
    expect(some!.children!.length).toBeGreaterThanOrEqual(5);
    expect(some!.children!.length).toBeLessThan(150);
    const byDefault = await flows.getFlow({ id: tree.job.id!, queueName: qp });
    expect(byDefault!.children!.length).toBeGreaterThanOrEqual(20);
    expect(byDefault!.children!.length).toBeLessThan(150);
  });

  it('refuses bad getDependencies and getDependenciesCount options', async () => {
    const { parent } = await parentWithEveryKind();
    await expect(parent.getDependencies({ pending: {} } as never)).rejects.toThrow(
      'getDependencies options.pending is not a known option (processed, unprocessed, failed, ignored)',
    );
    await expect(parent.getDependencies({ failed: { cursor: -1 } })).rejects.toThrow(
      'getDependencies options.failed.cursor must be >= 0, got -1',
    );
    await expect(parent.getDependencies({ processed: { count: 0 } })).rejects.toThrow(
      'getDependencies options.processed.count must be >= 1, got 0',
    );
    await expect(parent.getDependencies({ processed: { size: 3 } } as never)).rejects.toThrow(
      'getDependencies options.processed.size is not a known option (cursor, count)',
    );
    await expect(parent.getDependencies({ ignored: true } as never)).rejects.toThrow(
      'getDependencies options.ignored must be { cursor?, count? }, got true',
    );
    await expect(parent.getDependenciesCount({ failed: 1 } as never)).rejects.toThrow(ConveyorValidationError);
  });

  it('getFlow reads a tree back: every kind of child (completed, pending, failed, ignored, in that order), depth, missing jobs', async () => {
    const { flows, qp, qc, key } = await parentWithEveryKind();
    const flow = (await flows.getFlow({ id: 'P', queueName: qp }))!;
    expect(flow.job.id).toBe('P');
    expect(flow.job.name).toBe('root');
    const ids = flow.children!.map((n) => n.job.id);
    expect(ids.slice(0, 2).sort()).toEqual(['c1', 'c2']);
    expect(ids.slice(2)).toEqual(['c6', 'c4', 'c5', 'c3']);
    const c1 = flow.children!.find((n) => n.job.id === 'c1')!;
    expect(Object.keys(c1)).toEqual(['job']);
    expect(c1.job.returnvalue).toEqual({ v: 1, id: 'c1' });
    expect(c1.job.parentKey).toBe(`bull:${qp}:P`);
    expect(c1.job.queueQualifiedName).toBe(`bull:${qc}`);
    expect(await c1.job.getState()).toBe('completed');
    expect(await flows.getFlow({ id: 'P', queueName: qp, depth: 1 })).toEqual({ job: expect.objectContaining({ id: 'P' }) });
    expect(await flows.getFlow({ id: 'nope', queueName: qp })).toBeUndefined();

    // a child deleted meanwhile (e.g. by retention) is left out
    await scope.redis.del(key('c2'));
    expect((await flows.getFlow({ id: 'P', queueName: qp }))!.children!.map((n) => n.job.id)).not.toContain('c2');
  });

  it('getFlow follows children across queues and prefixes, from any node down', async () => {
    const [qa, qb, qc] = [scope.name('ga', 'pa'), scope.name('gb', 'pb'), scope.name('gc', 'pb')];
    const flows = scope.producer('pb');
    const tree = await flows.add({
      name: 'top',
      queueName: qa,
      prefix: 'pa',
      data: {},
      children: [
        {
          name: 'mid',
          queueName: qb,
          data: {},
          children: [
            { name: 'leaf', queueName: qc, data: {} },
            { name: 'leaf2', queueName: qc, data: {} },
          ],
        },
        { name: 'side', queueName: qc, data: {} },
      ],
    });
    const read = (node: JobNode | undefined) => sortedShape(shape(node!));
    expect(read(await flows.getFlow({ id: tree.job.id!, queueName: qa, prefix: 'pa' }))).toEqual(sortedShape(shape(tree)));
    expect(await flows.getFlow({ id: tree.job.id!, queueName: qa })).toBeUndefined();
    const mid = tree.children![0];
    expect(read(await flows.getFlow({ id: mid.job.id!, queueName: qb }))).toEqual(sortedShape(shape(mid)));
    const two = (await flows.getFlow({ id: tree.job.id!, queueName: qa, prefix: 'pa', depth: 2 }))!;
    expect(two.children!.every((n) => n.children === undefined)).toBe(true);
    expect(two.children!.map((n) => n.job.prefix).sort()).toEqual(['pb', 'pb']);
  });
});
