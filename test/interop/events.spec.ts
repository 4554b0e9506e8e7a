// Queue events cross engines: whatever engine drives a queue, a QueueEvents of either engine reads
// the same events with the same arguments from the shared stream (wire-format §6).
import type { EventEmitter } from 'node:events';
import { Queue as BullQueue, QueueEvents as BullQueueEvents, Worker as BullWorker } from 'bullmq';
import { Queue, QueueEvents, Worker } from '../../lib/index.js';
import { once } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection } from './support.js';

type Engine = 'bullmq' | 'conveyor';

const EVENTS = [
  'added',
  'waiting',
  'active',
  'progress',
  'completed',
  'failed',
  'delayed',
  'retries-exhausted',
  'drained',
  'stalled',
] as const;

interface Seen {
  event: string;
  id: string;
  args: Record<string, unknown>;
}

/** Records every queue event an events listener emits, with the stream id it came from. */
function record(listener: EventEmitter): Seen[] {
  const seen: Seen[] = [];
  for (const event of EVENTS) {
    listener.on(event, (first: unknown, second: unknown) => {
      // `drained` carries only the stream id; every other event (args, id)
      if (event === 'drained') seen.push({ event, id: String(first), args: {} });
      else seen.push({ event, id: String(second), args: first as Record<string, unknown> });
    });
  }
  return seen;
}

interface ProgressCapable {
  name: string;
  attemptsMade: number;
  updateProgress?: (value: number | object) => Promise<unknown>;
}

async function process(job: ProgressCapable): Promise<unknown> {
  if (job.name === 'flaky') throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
  if (job.name === 'ok') {
    if (!job.updateProgress) throw new Error('this engine has no job.updateProgress');
    await job.updateProgress({ p: 50 });
    await job.updateProgress(100);
  }
  return { done: job.name };
}

describe('interop: queue events across engines', () => {
  const scope = scopePerTest('interop');

  /** Drives one queue with `engine` (producer and worker) and returns what the listeners saw. */
  async function drive(engine: Engine, listenerFactories: ((name: string) => EventEmitter & { close(): Promise<unknown> })[]) {
    const name = scope.name(`events-${engine}`);
    const recorders = listenerFactories.map((make) => record(scope.track(make(name))));
    const producer =
      engine === 'bullmq'
        ? scope.track(new BullQueue(name, { connection: bullConnection() }))
        : scope.track(new Queue(name, { connection: conveyorConnection() }));
    const ids = {
      ok: (await producer.add('ok', { n: 1 })).id!,
      later: (await producer.add('later', { n: 2 }, { delay: 300 })).id!,
      flaky: (await producer.add('flaky', { n: 3 }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } })).id!,
    };
    const worker =
      engine === 'bullmq'
        ? scope.track(new BullWorker(name, process, { connection: bullConnection() }))
        : scope.track(new Worker(name, process, { connection: conveyorConnection() }));
    void worker;
    // every job reached its end; then every listener has read up to the stream's last entry
    await until(
      'all jobs finished',
      () => scope.redis.zcard(`bull:${name}:completed`).then(async (c) => c + (await scope.redis.zcard(`bull:${name}:failed`))),
      (n) => n === 3,
      10000,
    );
    const [[lastId]] = await scope.redis.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1);
    for (const seen of recorders)
      await until(
        `listener to read up to ${lastId}`,
        async () => seen.at(-1)?.id,
        (id) => id === lastId,
        10000,
      );
    return { name, ids, recorders };
  }

  const bullListener = (name: string) => new BullQueueEvents(name, { connection: bullConnection(), lastEventId: '0' });
  const conveyorListener = (name: string) => new QueueEvents(name, { connection: conveyorConnection(), lastEventId: '0' });

  /** What bullmq's own QueueEvents reports for a queue bullmq drives: the reference. */
  function expectReferenceEvents(seen: Seen[], ids: Record<'ok' | 'later' | 'flaky', string>): void {
    const of = (jobId: string) =>
      seen
        .filter((s) => s.args.jobId === jobId)
        .map((s) => {
          const { jobId: _j, ...rest } = s.args;
          return [s.event, rest];
        });
    expect(of(ids.ok)).toEqual([
      ['added', { name: 'ok' }],
      ['waiting', {}],
      ['active', { prev: 'waiting' }],
      ['progress', { data: { p: 50 } }],
      ['progress', { data: 100 }],
      ['completed', { returnvalue: { done: 'ok' }, prev: 'active' }],
    ]);
    expect(of(ids.later)).toEqual([
      ['added', { name: 'later' }],
      ['delayed', { delay: expect.any(Number) }],
      ['waiting', { prev: 'delayed' }],
      ['active', { prev: 'waiting' }],
      ['completed', { returnvalue: { done: 'later' }, prev: 'active' }],
    ]);
    expect(of(ids.flaky)).toEqual([
      ['added', { name: 'flaky' }],
      ['waiting', {}],
      ['active', { prev: 'waiting' }],
      ['delayed', { delay: expect.any(Number) }],
      ['waiting', { prev: 'delayed' }],
      ['active', { prev: 'waiting' }],
      ['failed', { failedReason: 'flaky attempt 2', prev: 'active' }],
      ['retries-exhausted', { attemptsMade: '2' }],
    ]);
    // `delayed` carries the absolute due time, as a number
    const laterDelayed = seen.find((s) => s.event === 'delayed' && s.args.jobId === ids.later)!;
    expect(laterDelayed.args.delay).toBeGreaterThan(Date.now() - 60_000);
    // the last finish found the queue empty
    expect(seen.at(-1)?.event).toBe('drained');
  }

  it.each([['bullmq'], ['conveyor']] as [Engine][])(
    'bullmq QueueEvents and Conveyor QueueEvents see the same events of a queue driven by %s',
    async (engine) => {
      const { ids, recorders } = await drive(engine, [bullListener, conveyorListener]);
      const [viaBull, viaConveyor] = recorders;
      expectReferenceEvents(viaBull, ids);
      expect(viaConveyor).toEqual(viaBull);
    },
  );

  it("a stalled job shows up as `stalled` in both engines' QueueEvents", async () => {
    const name = scope.name('events-stalled');
    const viaBull = record(scope.track(bullListener(name)));
    const viaConveyor = record(scope.track(conveyorListener(name)));
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const job = await queue.add('stuck', {});
    // a job left in active without a lock, as a crashed worker leaves it
    await scope.redis.lmove(`bull:${name}:wait`, `bull:${name}:active`, 'RIGHT', 'LEFT');
    const checker = scope.track(new Worker(name, null, { connection: conveyorConnection(), stalledInterval: 100 }));
    await until(
      'the checker to recover the job',
      () => checker.checkStalled(),
      (ids) => ids.includes(job.id!),
    );
    const [[lastId]] = await scope.redis.xrevrange(`bull:${name}:events`, '+', '-', 'COUNT', 1);
    for (const seen of [viaBull, viaConveyor])
      await until(
        'listener to catch up',
        async () => seen.at(-1)?.id,
        (id) => id === lastId,
      );
    expect(viaBull.map((s) => [s.event, s.args])).toEqual([
      ['added', { jobId: job.id, name: 'stuck' }],
      ['waiting', { jobId: job.id }],
      ['waiting', { jobId: job.id, prev: 'active' }],
      ['stalled', { jobId: job.id }],
    ]);
    expect(viaConveyor).toEqual(viaBull);
  });

  // wire-format §10.1: a finish that fetches next writes `drained` only when that fetch found
  // nothing at all; a delayed job due later, or a paused queue, counts as something.
  it.each([['delayed job pending'], ['queue paused'], ['nothing left']])(
    "both engines' workers write drained alike: %s",
    async (situation) => {
      const streams: Record<Engine, string[]> = { bullmq: [], conveyor: [] };
      for (const engine of ['bullmq', 'conveyor'] as Engine[]) {
        const name = scope.name(`drained-${engine}`);
        const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
        await queue.add('a', {});
        if (situation === 'delayed job pending') await queue.add('b', {}, { delay: 60_000 });
        const { promise: held, resolve: release } = scope.gate();
        const processor = async () => {
          await held;
          return 1;
        };
        const worker =
          engine === 'bullmq'
            ? scope.track(new BullWorker(name, processor, { connection: bullConnection() }))
            : scope.track(new Worker(name, processor, { connection: conveyorConnection() }));
        await once(worker, 'active', 5000);
        if (situation === 'queue paused') await queue.pause();
        const completed = once(worker, 'completed', 5000);
        release();
        await completed;
        // the completed event and any drained are written by the same finish script
        streams[engine] = (await streamEvents(scope.redis, name)).map((e) => e.event);
        await worker.close();
      }
      expect(streams.conveyor).toEqual(streams.bullmq);
      expect(streams.bullmq.includes('drained')).toBe(situation === 'nothing left');
    },
  );
});
