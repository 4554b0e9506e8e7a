// Our QueueEvents against real bullmq@6.7.0's on the same stream: the same emits, call for call.
import {
  FlowProducer as BullFlowProducer,
  Queue as BullQueue,
  QueueEvents as BullQueueEvents,
  QueueEventsProducer as BullQueueEventsProducer,
} from 'bullmq';
import { Queue, QueueEvents, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest, type Closable } from '../support/scope.js';
import { recordEmits, type Emitted } from './queue-events.support.js';

const bullConnection = () => ({ ...connection(), maxRetriesPerRequest: null });

/** The emits up to and including the sentinel entry, so a late entry on one side cannot differ. */
function upToEnd(seen: Emitted[]): Emitted[] {
  const end = seen.findIndex(([event]) => event === 'end');
  if (end < 0) throw new Error(`no "end" among ${seen.length} emits`);
  return seen.slice(0, end + 1);
}

describe('QueueEvents compared with bullmq', () => {
  const scope = scopePerTest('qe-cmp');
  const open = <T extends Closable>(thing: T): T => scope.track(thing);

  it('emits what bullmq QueueEvents emits for every event in the stream (ours and bullmq-written)', async () => {
    const name = scope.name('qe-cmp');
    // both from the start of the stream: bullmq's waitUntilReady resolves before its first read
    const ours = open(new QueueEvents(name, { connection: connection(), lastEventId: '0' }));
    const theirs = open(new BullQueueEvents(name, { connection: bullConnection(), lastEventId: '0' }));
    const oursSeen = recordEmits(ours);
    const theirsSeen = recordEmits(theirs);

    const queue = open(new Queue(name, { connection: connection() }));
    const hang = scope.gate();
    const worker = open(
      new Worker(
        name,
        async (job: Job) => {
          switch (job.name) {
            case 'object':
              return { v: 1, nested: { list: [1, 'two'] } };
            case 'scalar':
              return 'text';
            case 'nothing':
              return undefined;
            case 'progress':
              await job.updateProgress({ pct: 10 });
              await job.updateProgress(99);
              return 0;
            case 'flaky':
              if (job.attemptsMade === 0) throw new Error('first try fails');
              return true;
            case 'bad':
              throw new Error('bad "quoted" {not json}');
            case 'hang':
              return hang.promise.then(() => 'released');
            default:
              return { name: job.name };
          }
        },
        { connection: connection(), concurrency: 2, skipStalledCheck: true, skipLockRenewal: true },
      ),
    );
    worker.on('error', () => {});

    // Conveyor writes: added/waiting/active/progress/completed/failed/retries-exhausted/delayed/drained
    const jobs = await queue.addBulk([
      { name: 'object', data: {} },
      { name: 'scalar', data: {} },
      { name: 'nothing', data: {} },
      { name: 'progress', data: {} },
      { name: 'flaky', data: {}, opts: { attempts: 2, backoff: { type: 'fixed', delay: 20 } } },
      { name: 'bad', data: {}, opts: { attempts: 1 } },
    ]);
    const outcomes = await Promise.allSettled(jobs.map((job) => job.waitUntilFinished(ours, 10_000)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);

    // duplicated, removed (delayed), paused, resumed, cleaned
    await queue.add('dup', {}, { jobId: 'dup-1', delay: 60_000 });
    await queue.add('dup', {}, { jobId: 'dup-1' });
    await queue.remove('dup-1');
    await queue.pause();
    await queue.resume();
    await queue.clean(0, 0, 'completed');

    // stalled: the lock of a running job "expires" and the checker recovers it
    // listening before the add: on a busy machine the job may be active before add() returns
    const stuckActive = once(ours, 'active:stuck-1', 10_000);
    const stuck = await queue.add('hang', {}, { jobId: 'stuck-1' });
    await stuckActive;
    await scope.redis.del(`bull:${name}:${stuck.id}:lock`);
    const checker = open(new Worker(name, null, { connection: connection() }));
    await checker.checkStalled();
    await scope.redis.del(`bull:${name}:stalled-check`);
    expect(await checker.checkStalled()).toEqual([stuck.id]);

    // bullmq writes: deduplicated, waiting-children (flow parent), a custom event
    const bullQueue = open(new BullQueue(name, { connection: bullConnection() }));
    await bullQueue.add('dd', { n: 1 }, { deduplication: { id: 'dd-key' }, delay: 60_000 });
    await bullQueue.add('dd', { n: 2 }, { deduplication: { id: 'dd-key' } });
    const flows = open(new BullFlowProducer({ connection: bullConnection() }));
    const flow = await flows.add({ name: 'parent', queueName: name, data: {}, children: [{ name: 'child', queueName: name, data: {} }] });
    // no ttl for bullmq's waitUntilFinished: its ttl timer outlives the wait and holds the process
    await flow.job.waitUntilFinished(theirs);
    const producer = open(new BullQueueEventsProducer(name, { connection: bullConnection() }));
    await producer.publishEvent({ eventName: 'custom-x', jobId: 'j-9', note: 'hello' } as never);

    const oursEnd = once(ours, 'end', 10_000);
    const theirsEnd = once(theirs, 'end', 10_000);
    await scope.redis.xadd(`bull:${name}:events`, '*', 'event', 'end');
    await Promise.all([oursEnd, theirsEnd]);

    const expected = upToEnd(theirsSeen);
    expect(upToEnd(oursSeen)).toEqual(expected);
    const names = new Set(expected.map(([event]) => event));
    for (const event of [
      'added',
      'waiting',
      'delayed',
      'active',
      'progress',
      'completed',
      'failed',
      'retries-exhausted',
      'stalled',
      'duplicated',
      'deduplicated',
      'drained',
      'paused',
      'resumed',
      'cleaned',
      'removed',
      'waiting-children',
      'custom-x',
      'completed:1',
      'custom-x:j-9',
    ]) {
      expect({ event, seen: names.has(event) }).toEqual({ event, seen: true });
    }
  });

  it('waitUntilFinished works with a bullmq QueueEvents, and bullmq jobs wait on ours', async () => {
    const name = scope.name('qe-wuf');
    const ours = open(new QueueEvents(name, { connection: connection() }));
    const theirs = open(new BullQueueEvents(name, { connection: bullConnection() }));
    await ours.waitUntilReady();
    await theirs.waitUntilReady();
    const queue = open(new Queue(name, { connection: connection() }));
    const bullQueue = open(new BullQueue(name, { connection: bullConnection() }));
    open(new Worker(name, async (job: Job) => ({ doubled: job.data.n * 2 }), { connection: connection() }));

    const ourJob = await queue.add('x', { n: 2 });
    await expect(ourJob.waitUntilFinished(theirs as never, 10_000)).resolves.toEqual({ doubled: 4 });
    const bullJob = await bullQueue.add('y', { n: 5 });
    await expect(bullJob.waitUntilFinished(ours as never)).resolves.toEqual({ doubled: 10 });
  });
});
