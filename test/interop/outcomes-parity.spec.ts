// Differential test of the job moves by hand: the same start (built by bullmq), then the same
// operation through bullmq 6.7 on one queue and through Conveyor on another. Keyspaces (clock
// values and names masked, events included) and the operations' replies must come out equal.
import { Job as BullJob, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { scopePerTest } from '../support/scope.js';
import { snapshot } from './keyspace.js';
import { bullConnection, conveyorConnection } from './support.js';

type Side = 'bullmq' | 'conveyor';

/** The job methods both engines have, as these tests call them. */
interface MovableJob {
  id?: string;
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
  moveToWait(token?: string): Promise<number>;
  changePriority(opts: { priority?: number; lifo?: boolean }): Promise<void>;
  changeDelay(delay: number): Promise<void>;
  moveToCompleted(value: unknown, token: string, fetchNext?: boolean): Promise<unknown>;
  moveToFailed(err: Error, token: string, fetchNext?: boolean): Promise<unknown>;
  extendLock(token: string, duration: number): Promise<number>;
}

interface Handles {
  /** The next job into active, locked with `token`, through this side's manual worker. */
  next(token: string): Promise<MovableJob>;
  /** A job read back through this side's Queue. */
  job(id: string): Promise<MovableJob>;
}

interface Case {
  /** Jobs added (by bullmq, to both queues) before the operation: [id, opts]. */
  jobs: [string, Record<string, unknown>][];
  op(h: Handles): Promise<unknown>;
  /** Differences kept on purpose: turns bullmq's reply into what Conveyor answers. */
  reply?: { why: string; adjust(bullmq: unknown): unknown };
}

const err = (message: string) => new Error(message);

const CASES: [string, Case][] = [
  [
    'moveToDelayed an active job',
    {
      jobs: [
        ['w1', {}],
        ['w2', {}],
      ],
      op: async (h) => (await h.next('tok')).moveToDelayed(Date.now() + 60_000, 'tok'),
    },
  ],
  [
    'moveToDelayed to a time already past',
    { jobs: [['w1', {}]], op: async (h) => (await h.next('tok')).moveToDelayed(Date.now() - 60_000, 'tok') },
  ],
  [
    'moveToWait a plain job',
    {
      jobs: [
        ['w1', {}],
        ['w2', {}],
      ],
      op: async (h) => (await h.next('tok')).moveToWait('tok'),
    },
  ],
  [
    'moveToWait a prioritized job',
    {
      jobs: [
        ['p1', { priority: 4 }],
        ['p2', { priority: 4 }],
      ],
      op: async (h) => (await h.next('tok')).moveToWait('tok'),
    },
  ],
  [
    'changePriority of a waiting job',
    {
      jobs: [
        ['w1', {}],
        ['w2', {}],
        ['w3', {}],
      ],
      op: async (h) => (await h.job('w2')).changePriority({ priority: 3 }),
    },
  ],
  [
    'changePriority lifo: in front of its priority',
    {
      jobs: [
        ['p1', { priority: 5 }],
        ['p2', { priority: 5 }],
      ],
      op: async (h) => (await h.job('p2')).changePriority({ priority: 5, lifo: true }),
    },
  ],
  [
    'changePriority to 0, plain and lifo',
    {
      jobs: [
        ['p1', { priority: 2 }],
        ['p2', { priority: 2 }],
        ['w1', {}],
      ],
      op: async (h) => {
        await (await h.job('p1')).changePriority({ priority: 0 });
        await (await h.job('p2')).changePriority({ priority: 0, lifo: true });
      },
    },
  ],
  [
    'changePriority of a delayed job',
    { jobs: [['d1', { delay: 60_000 }]], op: async (h) => (await h.job('d1')).changePriority({ priority: 2 }) },
  ],
  ['changePriority of an active job', { jobs: [['w1', {}]], op: async (h) => (await h.next('tok')).changePriority({ priority: 9 }) }],
  [
    'changeDelay of a delayed job',
    {
      jobs: [
        ['d1', { delay: 600_000 }],
        ['d2', { delay: 700_000 }],
      ],
      op: async (h) => (await h.job('d2')).changeDelay(5000),
    },
  ],
  ['changeDelay of a waiting job', { jobs: [['w1', {}]], op: async (h) => (await h.job('w1')).changeDelay(5000) }],
  [
    'moveToCompleted with fetch-next',
    {
      jobs: [
        ['w1', {}],
        ['w2', { attempts: 3 }],
      ],
      op: async (h) => (await h.next('tok')).moveToCompleted({ ok: 1 }, 'tok', true),
    },
  ],
  [
    'moveToCompleted of the last job: drained',
    { jobs: [['w1', {}]], op: async (h) => (await h.next('tok')).moveToCompleted('done', 'tok', true) },
  ],
  [
    'moveToCompleted without fetch-next',
    {
      jobs: [
        ['w1', {}],
        ['w2', {}],
      ],
      op: async (h) => (await h.next('tok')).moveToCompleted('done', 'tok', false),
    },
  ],
  [
    'moveToFailed, retried after its backoff',
    { jobs: [['w1', { attempts: 2, backoff: 1000 }]], op: async (h) => (await h.next('tok')).moveToFailed(err('boom'), 'tok') },
  ],
  [
    'moveToFailed, retried at once',
    {
      jobs: [
        ['w1', { attempts: 2 }],
        ['w2', {}],
      ],
      op: async (h) => (await h.next('tok')).moveToFailed(err('boom'), 'tok'),
    },
  ],
  // bullmq fetches nothing after a retry at once, fetch-next or not, and resolves undefined
  [
    'moveToFailed, retried at once, with fetch-next',
    {
      jobs: [
        ['w1', { attempts: 2 }],
        ['w2', {}],
      ],
      op: async (h) => (await h.next('tok')).moveToFailed(err('boom'), 'tok', true),
    },
  ],
  [
    'moveToFailed for good, with fetch-next finding only a delayed job',
    {
      jobs: [
        ['w1', {}],
        ['d1', { delay: 60_000 }],
      ],
      op: async (h) => (await h.next('tok')).moveToFailed(err('final'), 'tok', true),
    },
  ],
  ['extendLock', { jobs: [['w1', {}]], op: async (h) => (await h.next('tok')).extendLock('tok', 90_000) }],
];

describe('interop: job moves by hand leave the same keyspace on both engines', () => {
  const scope = scopePerTest('interop');

  async function build(jobs: Case['jobs']): Promise<string> {
    const name = scope.name('moves');
    const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
    for (const [id, opts] of jobs) await queue.add(id.replace(/\d+$/, ''), { id }, { jobId: id, ...opts });
    return name;
  }

  function handles(side: Side, name: string): Handles {
    if (side === 'bullmq') {
      const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const worker = scope.track(new BullWorker(name, null, { connection: bullConnection(), autorun: false }));
      return {
        next: async (token) => (await worker.getNextJob(token, { block: false })) as unknown as MovableJob,
        job: async (id) => (await BullJob.fromId(queue, id)) as unknown as MovableJob,
      };
    }
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const worker = scope.track(new Worker(name, null, { connection: conveyorConnection(), autorun: false }));
    return {
      next: async (token) => (await worker.getNextJob(token, { block: false })) as Job as MovableJob,
      job: async (id) => (await queue.getJob(id))! as MovableJob,
    };
  }

  /** A reply without clock values or stack frames. */
  function masked(value: unknown): unknown {
    return value === undefined ? 'undefined' : JSON.parse(JSON.stringify(value).replace(/\b1\d{12}(\.\d+)?\b/g, '0'));
  }

  it.each(CASES)('%s', async (_label, c) => {
    const results: Record<Side, unknown> = { bullmq: undefined, conveyor: undefined };
    const spaces: Record<Side, Record<string, unknown>> = { bullmq: {}, conveyor: {} };
    for (const side of ['bullmq', 'conveyor'] as Side[]) {
      const name = await build(c.jobs);
      const h = handles(side, name);
      try {
        results[side] = masked(await c.op(h));
      } catch (e) {
        results[side] = `threw: ${(e as Error).message}`;
      }
      const space = await snapshot(scope.redis, { queues: { [name]: 'Q' }, presenceOnly: ['Q:stalled-check'] });
      // a delay counted from "now" differs by the ms the two calls were apart
      for (const value of Object.values(space)) {
        const hash = (value as { hash?: Record<string, string> }).hash;
        if (hash?.delay && Number(hash.delay) > 55_000 && Number(hash.delay) <= 60_000) hash.delay = '<about 60000>';
      }
      spaces[side] = space;
    }
    expect(results.conveyor).toEqual(c.reply ? c.reply.adjust(results.bullmq) : results.bullmq);
    expect(spaces.conveyor).toEqual(spaces.bullmq);
  });
});
