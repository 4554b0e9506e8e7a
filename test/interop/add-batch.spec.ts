// Conveyor sends the single adds of one tick as one script call (job/add-batcher.ts); bullmq sends
// one call per add. The same burst through each must end the same way, add by add: the same ids and
// errors, the same keyspace and events, and bullmq's Worker and QueueEvents see nothing different.
import { Queue as BullQueue, QueueEvents as BullQueueEvents, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue, type JobsOptions } from '../../lib/index.js';
import { times } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { normalizedSnapshot } from './keyspace.js';
import { bullConnection, conveyorConnection } from './support.js';

type Adder = (name: string, data: unknown, opts: JobsOptions) => Promise<{ id?: string }>;

/** One burst, every add made in the same tick; `P` stands for the queue's qualified name. */
function burst(parentQueue: string): [string, JobsOptions][] {
  return [
    ['plain', {}],
    ['parent', { jobId: 'p' }],
    ['child', { parent: { id: 'p', queue: parentQueue } }],
    ['dup-id', { jobId: 'same' }],
    ['dup-id', { jobId: 'same' }],
    ['dedup', { deduplication: { id: 'D' } }],
    ['dedup', { deduplication: { id: 'D' } }],
    ['throttle', { deduplication: { id: 'T', ttl: 60_000 } }],
    ['throttle', { deduplication: { id: 'T', ttl: 60_000, extend: true } }],
    ['replace', { delay: 61_000, deduplication: { id: 'R', replace: true } }],
    ['replace', { delay: 62_000, deduplication: { id: 'R', replace: true } }],
    ['later', { delay: 30_000 }],
    ['urgent', { priority: 2 }],
    ['next', { lifo: true }],
    ['more-urgent', { priority: 1 }],
    ['last', {}],
    // last: bullmq's refused add takes no counter value, Conveyor's reserved one before the send
    // (job/ids.ts), so an id after it would differ
    ['orphan', { parent: { id: 'gone', queue: parentQueue } }],
  ];
}

describe('interop: single adds of one tick', () => {
  const scope = scopePerTest('interop');

  it('a burst ends add by add as through bullmq: ids, errors, keyspace and events', async () => {
    const run = async (label: string, make: (name: string) => Promise<Adder>) => {
      const name = scope.name(label);
      const add = await make(name);
      const outcomes = await Promise.all(
        burst(`bull:${name}`).map(([jobName, opts], i) =>
          add(jobName, { i }, opts).then(
            (job) => job.id,
            (err: Error) => err.message.split(`bull:${name}`).join('P'),
          ),
        ),
      );
      return { outcomes, space: await normalizedSnapshot(scope.redis, name) };
    };
    const bull = await run('batch-bull', async (name) => {
      const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
      await queue.waitUntilReady();
      return (n, d, o) => queue.add(n, d, o as never);
    });
    const ours = await run('batch-ours', async (name) => {
      const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
      await queue.waitUntilReady();
      return (n, d, o) => queue.add(n, d, o);
    });
    expect(bull.outcomes.at(-1)).toBe('Missing key for parent job P:gone. addJob');
    expect(ours.outcomes).toEqual(bull.outcomes);
    expect(ours.space).toEqual(bull.space);
  });

  it("bullmq's QueueEvents sees each add of a Conveyor burst, in order, and bullmq's Worker runs them in that order", async () => {
    const name = scope.name('batch-events');
    const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
    // from the stream's start: the burst may come before its first read
    const events = scope.track(new BullQueueEvents(name, { connection: bullConnection(), lastEventId: '0-0' }));
    await events.waitUntilReady();
    await queue.waitUntilReady();
    const seen: string[] = [];
    events.on('added', ({ jobId, name: jobName }) => seen.push(`added ${jobId} ${jobName}`));
    events.on('waiting', ({ jobId }) => seen.push(`waiting ${jobId}`));
    const heard = times(events, 'waiting', 20, 10_000);
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.add(`j${i}`, { i })));
    await heard;
    expect(seen).toEqual(jobs.flatMap((job) => [`added ${job.id} ${job.name}`, `waiting ${job.id}`]));

    const order: number[] = [];
    const done = times(events, 'completed', 20, 10_000);
    scope.track(
      new BullWorker(
        name,
        async (job: BullJob) => {
          order.push(job.data.i);
          return job.data.i;
        },
        { connection: bullConnection() },
      ),
    );
    await done;
    expect(order).toEqual(jobs.map((job) => job.data.i));
  });
});
