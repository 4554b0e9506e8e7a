// getJobCounts and the per-state counters agree between bullmq's Queue and Conveyor's Queue.
import { FlowProducer, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker } from '../../lib/index.js';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, bullCounts, conveyorConnection } from './support.js';

type Engine = 'bullmq' | 'conveyor';

const EXPECTED = { active: 1, completed: 2, delayed: 2, failed: 1, prioritized: 3, waiting: 4, 'waiting-children': 1 };

describe('interop: job counts', () => {
  const scope = scopePerTest('interop');

  it.each([['bullmq'], ['conveyor']] as [Engine][])('agree on a queue with jobs in every state, built by %s', async (engine) => {
    const name = scope.name(`counts-${engine}`);
    const childQueue = scope.name('counts-child');
    const bullQueue = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const conveyorQueue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const producer = engine === 'bullmq' ? bullQueue : conveyorQueue;

    // a worker with one slot: two jobs complete, one fails, the fourth holds the slot until the end
    const { promise: held, resolve: release } = scope.gate();
    const processor = async (job: { name: string }) => {
      if (job.name === 'fail') throw new Error('failing on purpose');
      if (job.name === 'hold') await held;
      return job.name;
    };
    const worker =
      engine === 'bullmq'
        ? new BullWorker(name, processor, { connection: bullConnection() })
        : new Worker(name, processor, { connection: conveyorConnection() });
    try {
      const holding = once(worker, 'active', 5000, (job: { name: string }) => job.name === 'hold');
      await producer.add('done', {});
      await producer.add('done', {});
      await producer.add('fail', {});
      await producer.add('hold', {});
      await holding;

      for (let i = 0; i < 4; i++) await producer.add('waiting', { i });
      for (const priority of [3, 1, 2]) await producer.add('prioritized', {}, { priority });
      await producer.add('delayed', {}, { delay: 60_000 });
      await producer.add('delayed', {}, { delay: 90_000 });
      const flows = scope.track(new FlowProducer({ connection: bullConnection() }));
      await flows.add({ name: 'parent', queueName: name, data: {}, children: [{ name: 'child', queueName: childQueue, data: {} }] });

      const viaBull = await bullQueue.getJobCounts();
      const viaConveyor = await conveyorQueue.getJobCounts();
      expect(viaBull).toEqual(EXPECTED);
      expect(viaConveyor).toEqual(viaBull);

      const types = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children', 'paused', 'wait'] as const;
      expect(await conveyorQueue.getJobCounts(...types)).toEqual(await bullCounts(bullQueue, ...types));
      for (const type of types) {
        expect({ type, count: (await conveyorQueue.getJobCounts(type))[type] }).toEqual({
          type,
          count: (await bullCounts(bullQueue, type))[type],
        });
      }
      expect(await conveyorQueue.getJobCountByTypes('waiting', 'delayed')).toBe(await bullQueue.getJobCountByTypes('waiting', 'delayed'));
      expect({
        waiting: await conveyorQueue.getWaitingCount(),
        active: await conveyorQueue.getActiveCount(),
        completed: await conveyorQueue.getCompletedCount(),
        failed: await conveyorQueue.getFailedCount(),
        delayed: await conveyorQueue.getDelayedCount(),
        prioritized: await conveyorQueue.getPrioritizedCount(),
        'waiting-children': await conveyorQueue.getWaitingChildrenCount(),
        count: await conveyorQueue.count(),
      }).toEqual({
        waiting: await bullQueue.getWaitingCount(),
        active: await bullQueue.getActiveCount(),
        completed: await bullQueue.getCompletedCount(),
        failed: await bullQueue.getFailedCount(),
        delayed: await bullQueue.getDelayedCount(),
        prioritized: await bullQueue.getPrioritizedCount(),
        'waiting-children': await bullQueue.getWaitingChildrenCount(),
        count: await bullQueue.count(),
      });
      expect(await conveyorQueue.getCountsPerPriority([0, 1, 2, 3, 4])).toEqual(await bullQueue.getCountsPerPriority([0, 1, 2, 3, 4]));
    } finally {
      release();
      await worker.close();
    }
  });
});
