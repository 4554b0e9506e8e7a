// Deduplication on flow nodes (wire-format §7.2, §7.13): a root without children or parent goes
// through the add's deduplication step and its JobNode carries the owner's id, as in bullmq.
import { FlowProducer, Queue } from '../../lib/index.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('flow deduplication', () => {
  const scope = scopePerTest('flow');

  it('a root without children: the later add gets the owner id, from add, addBulk and concurrent adds', async () => {
    const q = scope.name('dd');
    const queue = scope.queue(q);
    const flows = scope.producer();
    const first = await flows.add({ name: 'root', queueName: q, data: { n: 1 }, opts: { deduplication: { id: 'D' }, delay: 1000 } });
    const second = await flows.add({
      name: 'root',
      queueName: q,
      data: { n: 2 },
      opts: { jobId: 'mine', deduplication: { id: 'D' }, delay: 1000 },
    });
    expect(second.job.id).toBe(first.job.id);
    // the Job is the one asked for, under the id of the job that stands for it
    expect(second.job.data).toEqual({ n: 2 });
    expect(second.job.deduplicationId).toBe('D');
    expect(await queue.getDeduplicationJobId('D')).toBe(first.job.id);
    expect(await scope.redis.exists(`bull:${q}:mine`)).toBe(0);
    expect(await scope.redis.hget(`bull:${q}:${first.job.id}`, 'deid')).toBe('D');
    expect((await streamEvents(scope.redis, q)).at(-1)).toEqual({
      event: 'deduplicated',
      jobId: first.job.id,
      deduplicationId: 'D',
      deduplicatedJobId: 'mine',
    });

    const bulk = await flows.addBulk([
      { name: 'b1', queueName: q, opts: { deduplication: { id: 'B' } } },
      { name: 'b2', queueName: q, opts: { deduplication: { id: 'B' } } },
      { name: 'other', queueName: q, opts: { jobId: 'other' }, children: [{ name: 'kid', queueName: q }] },
    ]);
    expect(bulk[1].job.id).toBe(bulk[0].job.id);
    expect(bulk[2].job.id).toBe('other');
    expect(await queue.getJobCounts('wait', 'delayed', 'waiting-children')).toEqual({ wait: 2, delayed: 1, 'waiting-children': 1 });

    const many = await Promise.all(
      Array.from({ length: 8 }, () => new FlowProducer({ connection: connection() })).map(async (producer, i) => {
        try {
          return (await producer.add({ name: `c${i}`, queueName: q, opts: { deduplication: { id: 'C' }, delay: 1000 } })).job.id;
        } finally {
          await producer.close();
        }
      }),
    );
    expect(new Set(many).size).toBe(1);
  });

  it('replace on a delayed owner and a ttl work as on Queue.add', async () => {
    const q = scope.name('dr');
    const queue = new Queue(q, { connection: connection() });
    scope.track(queue);
    const flows = scope.producer();
    const first = await flows.add({
      name: 'r',
      queueName: q,
      opts: { jobId: 'r1', delay: 60_000, deduplication: { id: 'R', replace: true } },
    });
    const second = await flows.add({
      name: 'r',
      queueName: q,
      opts: { jobId: 'r2', delay: 60_000, deduplication: { id: 'R', replace: true } },
    });
    expect([first.job.id, second.job.id]).toEqual(['r1', 'r2']);
    expect(await scope.redis.exists(`bull:${q}:r1`)).toBe(0);
    expect(await queue.getDeduplicationJobId('R')).toBe('r2');
    await flows.add({ name: 't', queueName: q, opts: { jobId: 't1', deduplication: { id: 'T', ttl: 60_000 } } });
    expect(await scope.redis.pttl(`bull:${q}:de:T`)).toBeGreaterThan(50_000);
  });
});
