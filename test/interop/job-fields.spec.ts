// The job hash is the contract: a job written by either engine reads back the same through both,
// and a job that lives the same life on either engine leaves the same fields with the same
// encodings (wire-format §2, §3).
import { Queue as BullQueue, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection, hashShape, rawJob } from './support.js';

type Engine = 'bullmq' | 'conveyor';

/** Lives a worker takes a job through; the job name says which. */
const PROCESSED_LIVES: { name: string; data: unknown; opts: Record<string, unknown> }[] = [
  {
    name: 'completed',
    data: { a: 1, nested: { list: [1, 'two', null], yes: true } },
    opts: { removeOnComplete: { count: 10 }, keepLogs: 3, stackTraceLimit: 5 },
  },
  { name: 'retried-then-completed', data: 'a string payload', opts: { attempts: 3, backoff: { type: 'fixed', delay: 50 } } },
  { name: 'retried-then-failed', data: [1, 2, 3], opts: { attempts: 2, removeOnFail: { age: 3600, count: 5 } } },
  { name: 'undefined-return', data: {}, opts: { priority: 4 } },
];

/** Lives that end before any worker sees the job. */
const WAITING_LIVES: { name: string; data: unknown; opts: Record<string, unknown> }[] = [
  { name: 'delayed', data: { d: 1 }, opts: { delay: 60_000, attempts: 3, backoff: 1000 } },
  { name: 'prioritized', data: { p: 1 }, opts: { priority: 7, removeOnComplete: true, removeOnFail: false } },
  { name: 'custom', data: { c: 1 }, opts: { jobId: 'life-custom', lifo: true, timestamp: 1_700_000_000_000 } },
];

const FIELDS = [
  'name',
  'data',
  'opts',
  'timestamp',
  'delay',
  'priority',
  'attemptsMade',
  'attemptsStarted',
  'processedOn',
  'finishedOn',
  'returnvalue',
  'failedReason',
  'stacktrace',
  'progress',
  'stalledCounter',
  'processedBy',
] as const;

interface ProgressCapable {
  name: string;
  attemptsMade: number;
  updateProgress?: (value: number | object) => Promise<unknown>;
}

/** The same processor for both engines. */
async function live(job: ProgressCapable): Promise<unknown> {
  switch (job.name) {
    case 'completed':
      if (job.updateProgress) await job.updateProgress({ p: 50 });
      return { r: 42 };
    case 'retried-then-completed':
      if (job.updateProgress) await job.updateProgress(job.attemptsMade * 10 + 5);
      if (job.attemptsMade === 0) throw new Error('first attempt fails');
      return 'ok';
    case 'retried-then-failed':
      throw new Error(`fails on attempt ${job.attemptsMade + 1}`);
    default:
      return undefined;
  }
}

function readable(job: BullJob | Job | undefined): Record<string, unknown> {
  if (!job) return { missing: true };
  const source = job as unknown as Record<string, unknown>;
  return Object.fromEntries(FIELDS.map((f) => [f, source[f]]));
}

describe('interop: job fields and raw hashes', () => {
  const scope = scopePerTest('interop');

  /** Adds every life with `producer`, processes with `consumer`, and returns the queue name. */
  async function runLives(producer: Engine, consumer: Engine): Promise<string> {
    const name = scope.name(`fields-${producer[0]}${consumer[0]}`);
    const bullQueue = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const conveyorQueue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const add = async (life: (typeof PROCESSED_LIVES)[number]) =>
      producer === 'bullmq' ? bullQueue.add(life.name, life.data, life.opts) : conveyorQueue.add(life.name, life.data, life.opts);

    for (const life of PROCESSED_LIVES) await add(life);
    const worker =
      consumer === 'bullmq'
        ? new BullWorker(name, live, { connection: bullConnection(), name: 'w-life' })
        : new Worker(name, live, { connection: conveyorConnection(), name: 'w-life' });
    try {
      await until(
        `all lives processed in ${name}`,
        () => bullQueue.getJobCounts('completed', 'failed'),
        (c) => c.completed === 3 && c.failed === 1,
        10000,
      );
    } finally {
      await worker.close();
    }
    for (const life of WAITING_LIVES) await add(life);
    return name;
  }

  async function idsByName(name: string): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const keys = await scope.redis.keys(`bull:${name}:*`);
    for (const key of keys) {
      const id = key.slice(`bull:${name}:`.length);
      if (id.includes(':') || (await scope.redis.type(key)) !== 'hash' || id === 'meta') continue;
      ids.set((await scope.redis.hget(key, 'name')) as string, id);
    }
    return ids;
  }

  it('every producer x worker pairing leaves the same hash fields with the same encodings', async () => {
    const pairings: [Engine, Engine][] = [
      ['bullmq', 'bullmq'],
      ['conveyor', 'conveyor'],
      ['bullmq', 'conveyor'],
      ['conveyor', 'bullmq'],
    ];
    const shapes: Record<string, Record<string, Record<string, string>>> = {};
    for (const [producer, consumer] of pairings) {
      const name = await runLives(producer, consumer);
      const ids = await idsByName(name);
      const pairing = `${producer}->${consumer}`;
      shapes[pairing] = {};
      for (const life of [...PROCESSED_LIVES, ...WAITING_LIVES]) {
        const hash = await rawJob(scope.redis, name, ids.get(life.name)!);
        shapes[pairing][life.name] = hashShape(hash);
        if (hash.processedOn) expect(Number(hash.processedOn)).toBeGreaterThanOrEqual(Number(hash.timestamp));
        if (hash.finishedOn) expect(Number(hash.finishedOn)).toBeGreaterThanOrEqual(Number(hash.processedOn));
      }
    }
    const reference = shapes['bullmq->bullmq'];
    // spot-check that the reference is what wire-format §2 says, so a bug on both sides cannot hide
    expect(reference.completed).toMatchObject({
      name: 'raw completed',
      timestamp: 'int(ms)',
      delay: 'int 0',
      priority: 'int 0',
      processedOn: 'int(ms)',
      pb: 'raw w-life',
      ats: 'int 1',
      atm: 'int 1',
      returnvalue: 'json {"r":42}',
      finishedOn: 'int(ms)',
    });
    expect(reference['undefined-return'].returnvalue).toBe('json null');
    expect(reference['retried-then-failed']).toMatchObject({
      atm: 'int 2',
      ats: 'int 2',
      failedReason: 'raw fails on attempt 2',
      stacktrace: 'json string[2] ["Error: fails on attempt 1","Error: fails on attempt 2"]',
    });
    for (const pairing of Object.keys(shapes)) {
      expect({ pairing, shapes: shapes[pairing] }).toEqual({ pairing, shapes: reference });
    }
  });

  it.each([
    ['bullmq', 'bullmq'],
    ['conveyor', 'conveyor'],
    ['bullmq', 'conveyor'],
    ['conveyor', 'bullmq'],
  ] as [Engine, Engine][])(
    'jobs added by %s and processed by %s read back field for field the same through both engines',
    async (producer, consumer) => {
      const name = await runLives(producer, consumer);
      const ids = await idsByName(name);
      const bullQueue = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const conveyorQueue = scope.track(new Queue(name, { connection: conveyorConnection() }));
      for (const life of [...PROCESSED_LIVES, ...WAITING_LIVES]) {
        const id = ids.get(life.name)!;
        const viaBull = readable(await bullQueue.getJob(id));
        const viaConveyor = readable(await conveyorQueue.getJob(id));
        expect({ life: life.name, ...viaConveyor }).toEqual({ life: life.name, ...viaBull });
        expect(viaConveyor.name).toBe(life.name);
        expect(viaConveyor.data).toEqual(life.data);
      }
    },
  );
});
