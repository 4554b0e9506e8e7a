// Flows between Conveyor and bullmq@6.7: a flow added by either FlowProducer completes with the
// other engine's workers, and bullmq reads a Conveyor flow (getFlow, children values,
// dependencies) exactly as Conveyor does.
import { FlowProducer as BullFlowProducer, Job as BullJob, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { FlowProducer, Queue, Worker, type Job, type JobNode } from '../../lib/index.js';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

/** A processor both engines can run: leaves return a value, parents sum their children's. */
interface AnyJob {
  name: string;
  data: { n?: number };
  getChildrenValues(): Promise<Record<string, unknown>>;
}
async function sumProcessor(job: AnyJob): Promise<unknown> {
  if (job.name === 'leaf') return { n: job.data.n! * 10 };
  const values = (await job.getChildrenValues()) as Record<string, { n?: number; sum?: number }>;
  return { sum: Object.values(values).reduce((s, v) => s + (v.n ?? v.sum ?? 0), 0), children: Object.keys(values).sort() };
}

function threeLevels(qa: string, qb: string, qc: string) {
  return {
    name: 'root',
    queueName: qa,
    data: {},
    children: [
      {
        name: 'mid',
        queueName: qb,
        data: {},
        children: [
          { name: 'leaf', queueName: qc, data: { n: 1 } },
          { name: 'leaf', queueName: qc, data: { n: 2 }, opts: { priority: 3 } },
        ],
      },
      { name: 'leaf', queueName: qc, data: { n: 3 }, opts: { lifo: true } },
    ],
  };
}

/** Comparable view of a node read by either library: identity, payload, parent link, children. */
interface Comparable {
  id?: string;
  name: string;
  queue: string;
  data: unknown;
  opts: unknown;
  timestamp: number;
  parentKey?: string;
  returnvalue: unknown;
  children?: Comparable[];
}
function comparable(node: { job: BullJob | Job; children?: unknown[] }): Comparable {
  const { job } = node;
  const out: Comparable = {
    id: job.id,
    name: job.name,
    queue: job.queueQualifiedName,
    data: job.data,
    opts: job.opts,
    timestamp: job.timestamp,
    parentKey: job.parentKey,
    returnvalue: job.returnvalue ?? null,
  };
  if (node.children) out.children = (node.children as { job: BullJob | Job; children?: unknown[] }[]).map(comparable);
  return out;
}

describe('interop: flows', () => {
  const scope = scopePerTest('interop');

  it('a flow added by Conveyor completes with bullmq workers, bottom-up, with bullmq getChildrenValues', async () => {
    const [qa, qb, qc] = [scope.name('ifa'), scope.name('ifb'), scope.name('ifc')];
    const tree = await scope.track(new FlowProducer({ connection: conveyorConnection() })).add(threeLevels(qa, qb, qc));
    const root = scope.track(new BullWorker(qa, sumProcessor, { connection: bullConnection() }));
    scope.track(new BullWorker(qb, sumProcessor, { connection: bullConnection() }));
    scope.track(new BullWorker(qc, sumProcessor, { connection: bullConnection() }));
    const [done, result] = await once(root, 'completed', 10000);
    expect(done.id).toBe(tree.job.id);
    const [mid, leaf3] = tree.children!.map((n) => n.job);
    expect(result).toEqual({ sum: 60, children: [`bull:${qb}:${mid.id}`, `bull:${qc}:${leaf3.id}`].sort() });
    expect(await mid.getChildrenValues()).toEqual(
      Object.fromEntries(tree.children![0].children!.map((n) => [n.job.key, { n: n.job.data.n * 10 }])),
    );
    for (const node of [tree.job, mid, leaf3]) expect(await node.getState()).toBe('completed');
  });

  it('a flow added by bullmq completes with Conveyor workers, bottom-up, with Conveyor getChildrenValues', async () => {
    const [qa, qb, qc] = [scope.name('ifa'), scope.name('ifb'), scope.name('ifc')];
    const tree = await scope.track(new BullFlowProducer({ connection: bullConnection() })).add(threeLevels(qa, qb, qc));
    const root = scope.track(new Worker(qa, sumProcessor, { connection: conveyorConnection() }));
    scope.track(new Worker(qb, sumProcessor, { connection: conveyorConnection() }));
    scope.track(new Worker(qc, sumProcessor, { connection: conveyorConnection() }));
    const [done, result] = await once(root, 'completed', 10000);
    expect(done.id).toBe(tree.job.id);
    const [mid, leaf3] = tree.children!.map((n) => n.job);
    expect(result).toEqual({ sum: 60, children: [`bull:${qb}:${mid.id}`, `bull:${qc}:${leaf3.id}`].sort() });
    expect(await tree.job.getState()).toBe('completed');
    expect(await scope.redis.exists(`bull:${qa}:${tree.job.id}:dependencies`)).toBe(0);
  });

  it('bullmq reads a Conveyor flow as Conveyor does: getFlow, children values, ignored failures, dependencies and counts', async () => {
    const [qp, qm, qc] = [scope.name('ifp'), scope.name('ifm'), scope.name('ifc')];
    const conveyorFlows = scope.track(new FlowProducer({ connection: conveyorConnection() }));
    const tree = await conveyorFlows.add(
      {
        name: 'root',
        queueName: qp,
        data: { r: 1 },
        opts: { jobId: 'P', priority: 4 },
        children: [
          { name: 'ok', queueName: qc, data: { v: 1 }, opts: { jobId: 'c1' } },
          { name: 'bad', queueName: qc, data: {}, opts: { jobId: 'c2', ignoreDependencyOnFailure: true } },
          { name: 'bad', queueName: qc, data: {}, opts: { jobId: 'c3', failParentOnFailure: true } },
          {
            name: 'mid',
            queueName: qm,
            data: {},
            opts: { jobId: 'm' },
            children: [{ name: 'slow', queueName: qc, data: {}, opts: { jobId: 'c4', delay: 60_000 } }],
          },
        ],
      },
      { queuesOptions: { [qc]: { defaultJobOptions: { attempts: 1, removeOnFail: false } } } },
    );
    const childWorker = scope.track(
      new Worker(
        qc,
        async (job: Job) => {
          if (job.name === 'bad') throw new Error(`boom ${job.id}`);
          return { v: job.data.v };
        },
        { connection: conveyorConnection(), concurrency: 1 },
      ),
    );
    let finished = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('children did not finish within 5 s')), 5000);
      const count = () => {
        if (++finished === 3) {
          clearTimeout(timer);
          resolve();
        }
      };
      childWorker.on('completed', count);
      childWorker.on('failed', count);
    });
    await childWorker.close();

    const bullFlows = scope.track(new BullFlowProducer({ connection: bullConnection() }));
    const ours = (await conveyorFlows.getFlow({ id: 'P', queueName: qp }))!;
    const theirs = (await bullFlows.getFlow({ id: 'P', queueName: qp }))!;
    expect(comparable(theirs)).toEqual(comparable(ours));
    expect(comparable(theirs).children!.map((c) => c.id)).toEqual(['c1', 'm', 'c3', 'c2']);
    expect(comparable((await bullFlows.getFlow({ id: 'P', queueName: qp, depth: 1 }))!)).toEqual(
      comparable((await conveyorFlows.getFlow({ id: 'P', queueName: qp, depth: 1 }))!),
    );
    // bullmq's view of the tree as Conveyor returned it on add (before anything ran)
    const asAdded = (node: JobNode): unknown => ({
      id: node.job.id,
      queue: node.job.queueQualifiedName,
      children: node.children
        ?.map(asAdded)
        .sort((a, b) => String((a as { id: string }).id).localeCompare(String((b as { id: string }).id))),
    });
    const asRead = (node: { job: BullJob; children?: unknown[] }): unknown => ({
      id: node.job.id,
      queue: node.job.queueQualifiedName,
      children: (node.children as { job: BullJob }[] | undefined)
        ?.map(asRead)
        .sort((a, b) => String((a as { id: string }).id).localeCompare(String((b as { id: string }).id))),
    });
    expect(asRead(theirs)).toEqual(asAdded(tree));

    const bullParent = (await BullJob.fromId(scope.track(new BullQueue(qp, { connection: bullConnection() })), 'P'))!;
    const ourParent = tree.job;
    expect(await bullParent.getChildrenValues()).toEqual(await ourParent.getChildrenValues());
    expect(await bullParent.getChildrenValues()).toEqual({ [`bull:${qc}:c1`]: { v: 1 } });
    expect(await bullParent.getIgnoredChildrenFailures()).toEqual(await ourParent.getIgnoredChildrenFailures());
    expect(await bullParent.getFailedChildrenValues()).toEqual(await ourParent.getFailedChildrenValues());
    expect(await bullParent.getDependencies()).toEqual(await ourParent.getDependencies());
    expect(await bullParent.getDependenciesCount()).toEqual(await ourParent.getDependenciesCount());
    expect(await bullParent.getDependenciesCount({ failed: true, unprocessed: true })).toEqual(
      await ourParent.getDependenciesCount({ failed: true, unprocessed: true }),
    );
    // pages: bullmq's cursors agree for the SCAN-paged kinds and for the first page of failed ones
    for (const kind of ['processed', 'unprocessed', 'ignored'] as const) {
      expect(await bullParent.getDependencies({ [kind]: { cursor: 0, count: 10 } })).toEqual(
        await ourParent.getDependencies({ [kind]: { cursor: 0, count: 10 } }),
      );
    }
    expect((await bullParent.getDependencies({ failed: { cursor: 0, count: 1 } })).failed).toEqual(
      (await ourParent.getDependencies({ failed: { cursor: 0, count: 1 } })).failed,
    );
    expect(await bullParent.getState()).toBe('prioritized');
  });

  it('a Conveyor flow re-using completed children is released at once and completed by bullmq', async () => {
    const [qp, qc] = [scope.name('ifp'), scope.name('ifc')];
    const children = scope.track(new Queue(qc, { connection: conveyorConnection() }));
    await children.add('pre', { n: 1 }, { jobId: 'done-1' });
    const worker = scope.track(new BullWorker(qc, async (job: BullJob) => ({ pre: job.id }), { connection: bullConnection() }));
    await once(worker, 'completed', 5000);
    await worker.close();
    await scope.track(new FlowProducer({ connection: conveyorConnection() })).add({
      name: 'root',
      queueName: qp,
      data: {},
      opts: { jobId: 'P' },
      children: [{ name: 'pre', queueName: qc, data: {}, opts: { jobId: 'done-1' } }],
    });
    const parentWorker = scope.track(new BullWorker(qp, async (job: BullJob) => job.getChildrenValues(), { connection: bullConnection() }));
    const [, values] = await once(parentWorker, 'completed', 5000);
    expect(values).toEqual({ [`bull:${qc}:done-1`]: { pre: 'done-1' } });
  });
});
