// Differential test of flow producers and dynamic children: the same flows written by bullmq's
// FlowProducer on one set of queues and by Conveyor's on another must leave the same keyspace
// (events included) once queue names and clock values are masked; so must a parent that adds
// children at run time and waits for them, run by a bullmq Worker or by a Conveyor Worker.
import {
  FlowProducer as BullFlowProducer,
  Queue as BullQueue,
  Worker as BullWorker,
  WaitingChildrenError as BullWaitingChildrenError,
  type Job as BullJob,
} from 'bullmq';
import { FlowProducer, Queue, WaitingChildrenError, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { snapshot } from './keyspace.js';
import { bullConnection, conveyorConnection, sortKeys } from './support.js';

type Side = 'bullmq' | 'conveyor';
const SIDES: Side[] = ['bullmq', 'conveyor'];

/** Hash values that are JSON objects compared by content: Lua cjson and JSON.stringify order keys differently. */
function normalize(space: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(space)) {
    const hash = (value as { hash?: Record<string, string> } | undefined)?.hash;
    if (!hash) {
      out[key] = value;
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [field, text] of Object.entries(hash)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      fields[field] = parsed !== null && typeof parsed === 'object' ? JSON.stringify(sortKeys(parsed)) : text;
    }
    out[key] = { hash: fields };
  }
  return out;
}

interface Names {
  P: string;
  C: string;
}

/** Flows built from the side's queue names; ids are explicit so both keyspaces name the same jobs. */
const SCENARIOS: Record<
  string,
  {
    prepare?: (side: Side, n: Names, scope: Scope) => Promise<void>;
    flows: (n: Names) => Record<string, unknown>[];
    queuesOptions?: (n: Names) => Record<string, unknown>;
  }
> = {
  'nested flow: delayed, prioritized, lifo children, every parent rule, a delayed prioritized parent': {
    flows: (n) => [
      {
        name: 'root',
        queueName: n.P,
        data: { r: 1 },
        opts: { jobId: 'root', priority: 2, delay: 1000 },
        children: [
          {
            name: 'mid',
            queueName: n.C,
            data: { m: [1, 2] },
            opts: { jobId: 'mid', failParentOnFailure: true },
            children: [
              { name: 'a', queueName: n.C, data: 'text', opts: { jobId: 'a', continueParentOnFailure: true } },
              { name: 'b', queueName: n.C, data: { b: null }, opts: { jobId: 'b', delay: 60_000, ignoreDependencyOnFailure: true } },
            ],
          },
          { name: 'c', queueName: n.C, data: {}, opts: { jobId: 'c', priority: 7, removeDependencyOnFailure: true } },
          {
            name: 'd',
            queueName: n.C,
            data: {},
            opts: { jobId: 'd', lifo: true, attempts: 3, backoff: 500, removeOnComplete: { count: 2 } },
          },
        ],
      },
    ],
    queuesOptions: (n) => ({ [n.C]: { defaultJobOptions: { attempts: 2, removeOnFail: 5 } } }),
  },
  'children re-used: completed ones release the parent at once, a pending one is waited for': {
    prepare: async (side, n, scope) => {
      const queue =
        side === 'bullmq'
          ? scope.track(new BullQueue(n.C, { connection: bullConnection() }))
          : scope.track(new Queue(n.C, { connection: conveyorConnection() }));
      await queue.add('pre', { p: 1 }, { jobId: 'done1' });
      await queue.add('pre', { p: 2 }, { jobId: 'done2' });
      await queue.add('later', { p: 3 }, { jobId: 'later', delay: 60_000 });
      // completed by bullmq on both sides: only the producers differ
      const worker = scope.track(
        new BullWorker(n.C, async (job: BullJob) => ({ ret: job.id }), { connection: bullConnection(), skipStalledCheck: true }),
      );
      await new Promise<void>((resolve) => {
        let seen = 0;
        worker.on('completed', () => ++seen === 2 && resolve());
      });
      await worker.close();
    },
    flows: (n) => [
      {
        name: 'all-done',
        queueName: n.P,
        data: {},
        opts: { jobId: 'P1' },
        children: [
          { name: 'pre', queueName: n.C, data: {}, opts: { jobId: 'done1' } },
          { name: 'pre', queueName: n.C, data: {}, opts: { jobId: 'done2' } },
        ],
      },
      {
        name: 'one-pending',
        queueName: n.P,
        data: {},
        opts: { jobId: 'P2' },
        children: [
          { name: 'later', queueName: n.C, data: {}, opts: { jobId: 'later' } },
          { name: 'fresh', queueName: n.C, data: {}, opts: { jobId: 'fresh' } },
        ],
      },
    ],
  },
  'deduplicated roots, and what bullmq takes as it comes (a child opts.parent, repeated jobs, repeat, unknown fields)': {
    flows: (n) => [
      { name: 'd1', queueName: n.P, data: { n: 1 }, opts: { jobId: 'd1', deduplication: { id: 'D' }, delay: 1000 } },
      { name: 'd2', queueName: n.P, data: { n: 2 }, opts: { jobId: 'd2', deduplication: { id: 'D' }, delay: 1000 } },
      { name: 'r1', queueName: n.P, data: {}, opts: { jobId: 'r1', deduplication: { id: 'R', replace: true }, delay: 2000 } },
      { name: 'r2', queueName: n.P, data: {}, opts: { jobId: 'r2', deduplication: { id: 'R', replace: true }, delay: 3000 } },
      {
        name: 'tree',
        queueName: n.P,
        data: {},
        opts: { jobId: 'T', repeat: { every: 1000 } },
        note: 'ignored',
        children: [
          { name: 'k', queueName: n.C, data: {}, opts: { jobId: 'k', parent: { id: 'x', queue: 'bull:nowhere' } } },
          { name: 'k-again', queueName: n.C, data: {}, opts: { jobId: 'k' } },
        ],
      },
    ],
  },
  'a flow joining an existing parent (opts.parent on the root)': {
    prepare: async (_side, n, scope) => {
      await scope.track(new BullFlowProducer({ connection: bullConnection() })).add({
        name: 'holder',
        queueName: n.P,
        data: {},
        opts: { jobId: 'H' },
        children: [{ name: 'x', queueName: n.C, data: {}, opts: { jobId: 'hx', delay: 60_000 } }],
      });
    },
    flows: (n) => [
      {
        name: 'sub',
        queueName: n.C,
        data: {},
        opts: { jobId: 'S', parent: { id: 'H', queue: `bull:${n.P}` }, failParentOnFailure: true },
        children: [{ name: 'sx', queueName: n.C, data: {}, opts: { jobId: 'sx' } }],
      },
    ],
  },
};

describe('interop: bullmq and Conveyor flow producers leave the same keyspace', () => {
  const scope = scopePerTest('interop');

  it.each(Object.keys(SCENARIOS))('%s', async (scenarioName) => {
    const scenario = SCENARIOS[scenarioName];
    const spaces: Partial<Record<Side, unknown>> = {};
    for (const side of SIDES) {
      const n = { P: scope.name(`fpp-p-${side}`), C: scope.name(`fpp-c-${side}`) };
      await scenario.prepare?.(side, n, scope);
      const flows = scenario.flows(n);
      const opts = scenario.queuesOptions ? { queuesOptions: scenario.queuesOptions(n) } : undefined;
      if (side === 'bullmq') {
        const producer = scope.track(new BullFlowProducer({ connection: bullConnection() }));
        for (const flow of flows) await producer.add(flow as never, opts as never);
      } else {
        const producer = scope.track(new FlowProducer({ connection: conveyorConnection() }));
        for (const flow of flows) await producer.add(flow as never, opts as never);
      }
      spaces[side] = normalize(await snapshot(scope.redis, { queues: { [n.P]: 'P', [n.C]: 'C' }, ignore: ['C:marker'] }));
    }
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });

  it('addBulk: two flows in one call', async () => {
    const spaces: Partial<Record<Side, unknown>> = {};
    for (const side of SIDES) {
      const n = { P: scope.name(`fpb-p-${side}`), C: scope.name(`fpb-c-${side}`) };
      const flows = [
        { name: 'one', queueName: n.P, data: {}, opts: { jobId: 'one' } },
        {
          name: 'two',
          queueName: n.P,
          data: {},
          opts: { jobId: 'two' },
          children: [{ name: 'kid', queueName: n.C, data: {}, opts: { jobId: 'kid' } }],
        },
      ];
      if (side === 'bullmq') await scope.track(new BullFlowProducer({ connection: bullConnection() })).addBulk(flows);
      else await scope.track(new FlowProducer({ connection: conveyorConnection() })).addBulk(flows);
      spaces[side] = normalize(await snapshot(scope.redis, { queues: { [n.P]: 'P', [n.C]: 'C' } }));
    }
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });

  it('a parent that adds children at run time and waits for them: bullmq Worker vs Conveyor Worker', async () => {
    const spaces: Partial<Record<Side, unknown>> = {};
    for (const side of SIDES) {
      const n = { P: scope.name(`fpd-p-${side}`), C: scope.name(`fpd-c-${side}`) };
      const bull = side === 'bullmq';
      const children = bull
        ? scope.track(new BullQueue(n.C, { connection: bullConnection() }))
        : scope.track(new Queue(n.C, { connection: conveyorConnection() }));
      const parentProcessor = async (job: BullJob | Job, token?: string) => {
        if (job.data.step === 'start') {
          const parent = { id: job.id!, queue: job.queueQualifiedName };
          await children.add('kid', { k: 1 }, { jobId: 'k1', parent });
          await children.add('kid', { k: 2 }, { jobId: 'k2', parent, failParentOnFailure: true });
          await job.updateData({ step: 'waiting' });
          await job.moveToWaitingChildren(token!, { child: { id: 'k2', queue: `bull:${n.C}` } });
          throw bull ? new BullWaitingChildrenError() : new WaitingChildrenError();
        }
        if (await job.moveToWaitingChildren(token!)) throw bull ? new BullWaitingChildrenError() : new WaitingChildrenError();
        return job.getChildrenValues();
      };
      const opts = { skipStalledCheck: true, autorun: false };
      const childProcessor = async (job: BullJob | Job) => ({ kid: job.data.k });
      const parentWorker = bull
        ? new BullWorker(n.P, parentProcessor as never, { connection: bullConnection(), ...opts })
        : new Worker(n.P, parentProcessor as never, { connection: conveyorConnection(), ...opts });
      const childWorker = bull
        ? new BullWorker(n.C, childProcessor as never, { connection: bullConnection(), ...opts })
        : new Worker(n.C, childProcessor as never, { connection: conveyorConnection(), ...opts });
      try {
        const completed = once(parentWorker as never, 'completed', 10000);
        void parentWorker.run();
        const parentQueue = bull
          ? scope.track(new BullQueue(n.P, { connection: bullConnection() }))
          : scope.track(new Queue(n.P, { connection: conveyorConnection() }));
        await parentQueue.add('parent', { step: 'start' }, { jobId: 'PP' });
        // children run once the parent waits for them, so both sides go through the same steps
        await until(
          'parent waiting for its children',
          () => scope.redis.zscore(`bull:${n.P}:waiting-children`, 'PP'),
          (s) => s !== null,
        );
        void childWorker.run();
        const [, values] = await completed;
        expect(values).toEqual({ [`bull:${n.C}:k1`]: { kid: 1 }, [`bull:${n.C}:k2`]: { kid: 2 } });
      } finally {
        await parentWorker.close();
        await childWorker.close();
      }
      spaces[side] = normalize(await snapshot(scope.redis, { queues: { [n.P]: 'P', [n.C]: 'C' }, ignore: ['P:marker', 'C:marker'] }));
    }
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });
});
