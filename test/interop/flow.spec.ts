// Flows written by bullmq's FlowProducer, with children processed by Conveyor workers.
import { FlowProducer, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection, rawJob } from './support.js';

describe('interop: bullmq flows with Conveyor children', () => {
  const scope = scopePerTest('interop');

  it('a child completed by Conveyor releases the parent, which bullmq completes with getChildrenValues', async () => {
    const parentQueue = scope.name('flow-parent');
    const childQueueA = scope.name('flow-child-a');
    const childQueueB = scope.name('flow-child-b');
    const flows = scope.track(new FlowProducer({ connection: bullConnection() }));
    const tree = await flows.add({
      name: 'parent',
      queueName: parentQueue,
      data: { p: 1 },
      children: [
        { name: 'child-a', queueName: childQueueA, data: { c: 'a' } },
        { name: 'child-b', queueName: childQueueB, data: { c: 'b' } },
      ],
    });
    const parentId = tree.job.id!;
    const childA = tree.children!.find((c) => c.job.name === 'child-a')!.job;
    const childB = tree.children!.find((c) => c.job.name === 'child-b')!.job;
    expect(await tree.job.getState()).toBe('waiting-children');

    // child B first, by a bullmq worker: one child still pending, so the parent must wait
    const bullChildWorker = scope.track(
      new BullWorker(childQueueB, async (job: BullJob) => ({ from: 'bullmq', c: job.data.c }), { connection: bullConnection() }),
    );
    await once(bullChildWorker, 'completed', 5000);
    expect(await tree.job.getState()).toBe('waiting-children');
    const deps = await scope.redis.smembers(`bull:${parentQueue}:${parentId}:dependencies`);
    expect(deps).toEqual([`bull:${childQueueA}:${childA.id}`]);

    // child A, the last one, by a Conveyor worker: its finish script releases the parent
    const conveyorWorker = scope.track(
      new Worker(childQueueA, async (job: Job) => ({ from: 'conveyor', c: job.data.c, parent: job.parentKey }), {
        connection: conveyorConnection(),
      }),
    );
    await once(conveyorWorker, 'completed', 5000);
    expect(await tree.job.getState()).toBe('waiting');
    expect(await scope.redis.scard(`bull:${parentQueue}:${parentId}:dependencies`)).toBe(0);
    expect(await scope.redis.zscore(`bull:${parentQueue}:marker`, '0')).toBe('0');

    let childrenValues: Record<string, unknown> | undefined;
    const parentWorker = scope.track(
      new BullWorker(
        parentQueue,
        async (job: BullJob) => {
          childrenValues = await job.getChildrenValues();
          return 'parent done';
        },
        { connection: bullConnection() },
      ),
    );
    const [parentJob, parentResult] = await once(parentWorker, 'completed', 5000);
    expect(parentJob.id).toBe(parentId);
    expect(parentResult).toBe('parent done');
    expect(childrenValues).toEqual({
      [`bull:${childQueueA}:${childA.id}`]: { from: 'conveyor', c: 'a', parent: `bull:${parentQueue}:${parentId}` },
      [`bull:${childQueueB}:${childB.id}`]: { from: 'bullmq', c: 'b' },
    });
    const parentEvents = (await streamEvents(scope.redis, parentQueue))
      .filter((e) => e.jobId === parentId)
      .map((e) => `${e.event}${e.prev ? `<${e.prev}` : ''}`);
    expect(parentEvents).toEqual(['added', 'waiting-children', 'waiting<waiting-children', 'active<waiting', 'completed<active']);
  });

  it('a child failed by Conveyor with failParentOnFailure makes bullmq fail the parent without running it', async () => {
    const parentQueue = scope.name('flow-fpof-parent');
    const childQueue = scope.name('flow-fpof-child');
    const flows = scope.track(new FlowProducer({ connection: bullConnection() }));
    const tree = await flows.add({
      name: 'parent',
      queueName: parentQueue,
      data: {},
      children: [{ name: 'child', queueName: childQueue, data: {}, opts: { failParentOnFailure: true } }],
    });
    const parentId = tree.job.id!;
    const child = tree.children![0].job;

    const conveyorWorker = scope.track(
      new Worker(
        childQueue,
        async () => {
          throw new Error('child broke');
        },
        { connection: conveyorConnection() },
      ),
    );
    await once(conveyorWorker, 'failed', 5000);
    const childKey = `bull:${childQueue}:${child.id}`;
    const parentHash = await until(
      'parent released',
      () => rawJob(scope.redis, parentQueue, parentId),
      (h) => h.defa !== undefined,
    );
    expect(parentHash.defa).toBe(`child ${childKey} failed`);
    expect(await scope.redis.zrange(`bull:${parentQueue}:${parentId}:unsuccessful`, 0, -1)).toEqual([childKey]);

    let ran = false;
    const parentWorker = scope.track(
      new BullWorker(
        parentQueue,
        async () => {
          ran = true;
        },
        { connection: bullConnection() },
      ),
    );
    const [failedParent, error] = await once(parentWorker, 'failed', 5000);
    expect(failedParent.id).toBe(parentId);
    expect(error.message).toBe(`child ${childKey} failed`);
    expect(ran).toBe(false);
    expect(await tree.job.getState()).toBe('failed');
  });
});
