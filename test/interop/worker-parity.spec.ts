// Differential test of the worker: the same jobs (added by bullmq) are processed by a bullmq Worker
// on one queue and by a Conveyor Worker on another. Keyspaces, events included, must match once
// clock values and queue names are masked: retention, retries, progress, logs, stack traces.
import { FlowProducer, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Worker } from '../../lib/index.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { snapshot } from './keyspace.js';
import { bullConnection, conveyorConnection } from './support.js';

type Side = 'bullmq' | 'conveyor';

/**
 * Whether a worker's own queue still has a wake-up marker when it closes depends on timing (every
 * activation adds one; an idle worker pops it), on both engines alike.
 */
const RACY = ['Q:marker', 'C:marker'];

interface Processable {
  name: string;
  data: { n: number };
  attemptsMade: number;
  updateProgress(p: number | object): Promise<unknown>;
  log(row: string): Promise<number>;
}

async function processor(job: Processable): Promise<unknown> {
  await job.updateProgress({ n: job.data.n });
  await job.log(`attempt ${job.attemptsMade + 1} of ${job.name}`);
  if (job.name === 'flaky' && job.attemptsMade < 1) throw new Error('flaky once');
  if (job.name === 'bad') throw new Error(`bad ${job.data.n}`);
  return job.name === 'nothing' ? undefined : { n: job.data.n };
}

const SCENARIOS: Record<string, { name: string; n: number; opts?: Record<string, unknown> }[]> = {
  'retention by count, removal at once, kept logs': [
    ...[1, 2, 3, 4].map((n) => ({ name: 'ok', n, opts: { removeOnComplete: 2, keepLogs: 1 } })),
    { name: 'ok', n: 5, opts: { removeOnComplete: true } },
    { name: 'nothing', n: 6 },
    { name: 'bad', n: 7, opts: { removeOnFail: { count: 1 } } },
    { name: 'bad', n: 8, opts: { removeOnFail: { count: 1 }, stackTraceLimit: 0 } },
  ],
  'immediate retries and a failure for good': [
    { name: 'flaky', n: 1, opts: { attempts: 3 } },
    { name: 'bad', n: 2, opts: { attempts: 2, stackTraceLimit: 1 } },
    { name: 'ok', n: 3, opts: { priority: 2 } },
    { name: 'ok', n: 4, opts: { lifo: true } },
  ],
  'a retry after a backoff delay, kept by age': [
    { name: 'flaky', n: 1, opts: { attempts: 3, backoff: { type: 'fixed', delay: 100 }, removeOnComplete: { age: 3600 } } },
  ],
};

describe('interop: bullmq and Conveyor workers leave the same keyspace', () => {
  const scope = scopePerTest('interop');

  it.each(Object.keys(SCENARIOS))('%s', async (scenario) => {
    const spaces: Record<Side, unknown> = { bullmq: undefined, conveyor: undefined };
    for (const side of ['bullmq', 'conveyor'] as Side[]) {
      const name = scope.name(`wparity-${side}`);
      const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
      for (const job of SCENARIOS[scenario]) await queue.add(job.name, { n: job.n }, job.opts);
      const total = SCENARIOS[scenario].length;
      const worker =
        side === 'bullmq'
          ? new BullWorker(name, processor, { connection: bullConnection(), name: 'w', skipStalledCheck: true })
          : new Worker(name, processor, { connection: conveyorConnection(), name: 'w', skipStalledCheck: true });
      try {
        // every job finished once: its final completed/failed event is in the stream
        await until(
          `${total} jobs finished on ${side}`,
          () => scope.redis.xrange(`bull:${name}:events`, '-', '+'),
          (entries) => entries.filter(([, f]) => f[1] === 'completed' || f[1] === 'retries-exhausted').length === total,
          10000,
        );
      } finally {
        await worker.close();
      }
      spaces[side] = await snapshot(scope.redis, { queues: { [name]: 'Q' }, ignore: RACY });
    }
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });
  // The finish script's parent handling (wire-format §7.4 step 7, §7.10): the same flow, children
  // processed by either engine; parent queue and child queue must come out the same.
  const FLOWS: Record<
    string,
    { parentOpts?: Record<string, unknown>; children: { id: string; fail: boolean; opts?: Record<string, unknown> }[] }
  > = {
    'children complete: the parent is released to wait': {
      children: [
        { id: 'a', fail: false },
        { id: 'b', fail: false },
      ],
    },
    'the last child completes a prioritized parent': { parentOpts: { priority: 5 }, children: [{ id: 'a', fail: false }] },
    'the last child completes a delayed parent': { parentOpts: { delay: 5000 }, children: [{ id: 'a', fail: false }] },
    'a child fails with failParentOnFailure': {
      children: [
        { id: 'a', fail: true, opts: { failParentOnFailure: true } },
        { id: 'b', fail: false },
      ],
    },
    'a child fails with continueParentOnFailure': {
      children: [
        { id: 'a', fail: true, opts: { continueParentOnFailure: true } },
        { id: 'b', fail: false },
      ],
    },
    'a child fails with ignoreDependencyOnFailure': {
      children: [
        { id: 'a', fail: true, opts: { ignoreDependencyOnFailure: true } },
        { id: 'b', fail: false },
      ],
    },
    'a child fails with removeDependencyOnFailure': {
      children: [
        { id: 'a', fail: true, opts: { removeDependencyOnFailure: true } },
        { id: 'b', fail: false },
      ],
    },
    'a child fails without a parent rule': {
      children: [
        { id: 'a', fail: true },
        { id: 'b', fail: false },
      ],
    },
    'a completed child removed at once still releases the parent': {
      children: [{ id: 'a', fail: false, opts: { removeOnComplete: true } }],
    },
    'a failed child without a rule, removed at once': { children: [{ id: 'a', fail: true, opts: { removeOnFail: true } }] },
    'children trimmed by retention count': {
      children: [
        { id: 'a', fail: false, opts: { removeOnComplete: 1 } },
        { id: 'b', fail: false, opts: { removeOnComplete: 1 } },
      ],
    },
  };

  it.each(Object.keys(FLOWS))('flow: %s', async (flowName) => {
    const flow = FLOWS[flowName];
    const spaces: Record<Side, unknown> = { bullmq: undefined, conveyor: undefined };
    for (const side of ['bullmq', 'conveyor'] as Side[]) {
      const parentQueue = scope.name(`fparity-p-${side}`);
      const childQueue = scope.name(`fparity-c-${side}`);
      const flows = scope.track(new FlowProducer({ connection: bullConnection() }));
      await flows.add({
        name: 'parent',
        queueName: parentQueue,
        data: {},
        opts: { jobId: 'parent', ...flow.parentOpts },
        children: flow.children.map((c) => ({
          name: c.fail ? 'bad' : 'ok',
          queueName: childQueue,
          data: { n: 1 },
          opts: { jobId: c.id, ...c.opts },
        })),
      });
      const worker =
        side === 'bullmq'
          ? new BullWorker(childQueue, processor, { connection: bullConnection(), skipStalledCheck: true, autorun: false })
          : new Worker(childQueue, processor, { connection: conveyorConnection(), skipStalledCheck: true, autorun: false });
      try {
        void worker.run();
        await until(
          `children finished on ${side}`,
          () => scope.redis.xrange(`bull:${childQueue}:events`, '-', '+'),
          (entries) => entries.filter(([, f]) => f[1] === 'completed' || f[1] === 'retries-exhausted').length === flow.children.length,
          10000,
        );
      } finally {
        await worker.close();
      }
      spaces[side] = await snapshot(scope.redis, { queues: { [parentQueue]: 'P', [childQueue]: 'C' }, ignore: RACY });
    }
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });
});
