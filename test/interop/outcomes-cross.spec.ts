// Jobs moved by one engine's Job methods are processed correctly by the other engine's worker:
// moveToDelayed (+ DelayedError), moveToWait (+ WaitingError), changePriority, changeDelay, in
// both directions; and a Conveyor worker driven by hand on a queue fed by bullmq.
import type { EventEmitter } from 'node:events';
import {
  DelayedError as BullDelayedError,
  Job as BullJob,
  Queue as BullQueue,
  QueueEvents as BullQueueEvents,
  WaitingError as BullWaitingError,
  Worker as BullWorker,
} from 'bullmq';
import { DelayedError, Job, Queue, WaitingError, Worker } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection, rawJob } from './support.js';

type Engine = 'conveyor' | 'bullmq';

/** A processor as both engines call it. */
type AnyProcessor = (
  job: {
    id?: string;
    name: string;
    attemptsStarted: number;
    moveToDelayed(t: number, token?: string): Promise<void>;
    moveToWait(token?: string): Promise<number>;
  },
  token?: string,
) => Promise<unknown>;

describe('interop: moved jobs cross engines', () => {
  const scope = scopePerTest('interop');

  /** Either engine's worker, seen through the EventEmitter both are. */
  function startWorker(engine: Engine, name: string, processor: AnyProcessor): EventEmitter & { close(): Promise<void> } {
    const worker =
      engine === 'bullmq'
        ? new BullWorker(name, processor as never, { connection: bullConnection() })
        : new Worker(name, processor as never, { connection: conveyorConnection() });
    const emitter = worker as unknown as EventEmitter & { close(): Promise<void> };
    emitter.on('error', () => {});
    return scope.track(emitter);
  }

  function queueOf(engine: Engine, name: string): BullQueue | Queue {
    return scope.track(
      engine === 'bullmq' ? new BullQueue(name, { connection: bullConnection() }) : new Queue(name, { connection: conveyorConnection() }),
    );
  }

  async function jobOf(
    engine: Engine,
    queue: BullQueue | Queue,
    id: string,
  ): Promise<{ changePriority(o: object): Promise<void>; changeDelay(d: number): Promise<void> }> {
    return engine === 'bullmq' ? (await BullJob.fromId(queue as BullQueue, id))! : (await (queue as Queue).getJob(id))!;
  }

  describe.each([
    ['conveyor', 'bullmq'],
    ['bullmq', 'conveyor'],
  ] as [Engine, Engine][])('moved by %s, processed by %s', (mover, processor) => {
    it('moveToDelayed + DelayedError: the other worker runs the job once it is due, no attempt lost', async () => {
      const name = scope.name('cross-delay');
      const queue = queueOf(mover, name);
      let thrown!: () => void;
      const moved = new Promise<void>((resolve) => (thrown = resolve));
      const first = startWorker(mover, name, async (job, token) => {
        await job.moveToDelayed(Date.now() + 1000, token);
        thrown();
        throw mover === 'bullmq' ? new BullDelayedError() : new DelayedError();
      });
      const failed: unknown[] = [];
      first.on('failed', (job: unknown) => failed.push(job));
      const job = await queue.add('d', { n: 1 }, { attempts: 1 });
      await moved;
      await first.close();
      expect(await queue.getJobState(job.id!)).toBe('delayed');
      const second = startWorker(processor, name, async (j) => `${processor} ran ${j.id} start ${j.attemptsStarted}`);
      const [, result] = await once<[unknown, unknown]>(second, 'completed', 10000);
      expect(result).toBe(`${processor} ran ${job.id} start 2`);
      expect(failed).toEqual([]);
      const hash = await rawJob(scope.redis, name, job.id!);
      expect([hash.ats, hash.atm, hash.delay]).toEqual(['2', '1', '0']);
    });

    it('moveToWait + WaitingError: the job is the next one the other worker runs', async () => {
      const name = scope.name('cross-wait');
      const queue = queueOf(mover, name);
      let thrown!: () => void;
      const moved = new Promise<void>((resolve) => (thrown = resolve));
      const first = startWorker(mover, name, async (job, token) => {
        await job.moveToWait(token);
        thrown();
        throw mover === 'bullmq' ? new BullWaitingError() : new WaitingError();
      });
      const a = await queue.add('a', {});
      await moved;
      await first.close();
      await queue.add('b', {});
      const order: string[] = [];
      const second = startWorker(processor, name, async (j) => order.push(`${j.name}#${j.attemptsStarted}`));
      await times(second, 'completed', 2, 10000);
      expect(order).toEqual(['a#2', 'b#1']);
      expect((await rawJob(scope.redis, name, a.id!)).atm).toBe('1');
    });

    it('changePriority and changeDelay: the other worker follows the new order and the new due time', async () => {
      const name = scope.name('cross-prio');
      const queue = queueOf(mover, name);
      const a = await queue.add('a', {}, { priority: 5 });
      const b = await queue.add('b', {}, { priority: 5 });
      const c = await queue.add('c', {}, { priority: 5 });
      const d = await queue.add('d', {}, { delay: 600_000 });
      await (await jobOf(mover, queue, c.id!)).changePriority({ priority: 1 });
      await (await jobOf(mover, queue, b.id!)).changePriority({ priority: 5, lifo: true });
      await (await jobOf(mover, queue, d.id!)).changeDelay(300);
      const order: string[] = [];
      const worker = startWorker(processor, name, async (j) => order.push(j.name));
      await times(worker, 'completed', 4, 10000);
      // the prioritized jobs first (c at 1, then b ahead of a at 5); d once its new delay is over
      expect(order).toEqual(['c', 'b', 'a', 'd']);
      expect(await scope.redis.hget(`bull:${name}:${a.id}`, 'priority')).toBe('5');
    });
  });

  it('a Conveyor worker driven by hand on a queue fed by bullmq: results and retries read the same from bullmq', async () => {
    const name = scope.name('cross-manual');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const bullEvents = scope.track(new BullQueueEvents(name, { connection: bullConnection() }));
    await bullEvents.waitUntilReady();
    const ok = await bull.add('ok', { n: 2 });
    const flaky = await bull.add('flaky', { n: 3 }, { attempts: 2, backoff: { type: 'fixed', delay: 200 } });
    const doomed = await bull.add('doomed', { n: 4 });
    const worker = scope.track(new Worker(name, null, { connection: conveyorConnection(), autorun: false, drainDelay: 2 }));
    const completedSeen = once<[{ jobId: string; returnvalue: unknown }]>(bullEvents, 'completed', 10000);
    const token = 'by-hand';
    let job: Job | undefined = await worker.getNextJob(token);
    const outcomes: string[] = [];
    while (job) {
      outcomes.push(`${job.name}#${job.attemptsStarted}`);
      let reply: unknown[];
      if (job.name === 'ok' || (job.name === 'flaky' && job.attemptsStarted === 2)) {
        reply = await job.moveToCompleted({ doubled: job.data.n * 2 }, token);
      } else {
        // a retry at once answers undefined, as bullmq's: the next job is then taken by hand
        reply = (await job.moveToFailed(new Error(`${job.name} failed`), token, true)) ?? [];
      }
      const [data, id] = reply as [Job['opts'] | null, string | 0];
      job = data ? Job.fromJSON(worker, data as never, id as string) : await worker.getNextJob(token);
    }
    expect(outcomes).toEqual(['ok#1', 'flaky#1', 'doomed#1', 'flaky#2']);
    const [{ jobId, returnvalue }] = await completedSeen;
    expect([jobId, returnvalue]).toEqual([ok.id, { doubled: 4 }]);
    expect(await bull.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed')).toEqual({
      completed: 2,
      failed: 1,
      active: 0,
      wait: 0,
      delayed: 0,
    });
    const flakyBack = (await BullJob.fromId(bull, flaky.id!))!;
    expect([flakyBack.returnvalue, flakyBack.attemptsMade, flakyBack.failedReason]).toEqual([{ doubled: 6 }, 2, 'flaky failed']);
    const doomedBack = (await BullJob.fromId(bull, doomed.id!))!;
    expect([await doomedBack.getState(), doomedBack.failedReason, doomedBack.stacktrace?.length]).toEqual(['failed', 'doomed failed', 1]);
  });
});
