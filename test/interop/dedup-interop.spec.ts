// Deduplication across engines (wire-format §7.2): the same adds through bullmq@6.7.0 and through
// Conveyor leave the same keyspace, and a deduplication id taken by one side holds for the other.
import { Queue as BullQueue, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue, Worker, type Job, type JobsOptions } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { normalizedSnapshot } from './keyspace.js';
import { bullConnection, conveyorConnection, sortKeys } from './support.js';

type Adder = (name: string, data: unknown, opts: JobsOptions) => Promise<{ id?: string }>;

/** The adds both engines run, in order; distinct delays keep delayed scores free of collisions. */
const SCRIPT: [string, JobsOptions][] = [
  ['simple', { deduplication: { id: 'S' } }],
  ['simple', { deduplication: { id: 'S' } }],
  ['throttle', { deduplication: { id: 'T', ttl: 60_000 } }],
  ['throttle', { deduplication: { id: 'T', ttl: 60_000 } }],
  ['extend', { deduplication: { id: 'E', ttl: 60_000, extend: true } }],
  ['extend', { deduplication: { id: 'E', ttl: 90_000, extend: true } }],
  ['replace', { delay: 61_000, deduplication: { id: 'R', replace: true } }],
  ['replace', { delay: 62_000, deduplication: { id: 'R', replace: true } }],
  ['replace-ttl', { delay: 63_000, deduplication: { id: 'RT', replace: true, ttl: 60_000 } }],
  ['replace-ttl', { delay: 64_000, deduplication: { id: 'RT', replace: true, ttl: 60_000, extend: true } }],
  ['replace-waiting', { deduplication: { id: 'RW', replace: true } }],
  ['replace-waiting', { delay: 65_000, deduplication: { id: 'RW', replace: true } }],
  ['reschedule', { delay: 66_000, deduplication: { id: 'RS', reschedule: true } }],
  ['reschedule', { delay: 30_000, deduplication: { id: 'RS', reschedule: true } }],
  ['custom', { jobId: 'cust-1', deduplication: { id: 'C' } }],
  ['custom', { jobId: 'cust-2', deduplication: { id: 'C' } }],
  ['stale', { deduplication: { id: 'ST' } }],
  ['keep-waiting', { deduplication: { id: 'KW', keepLastIfActive: true } }],
  ['keep-waiting', { deduplication: { id: 'KW', keepLastIfActive: true } }],
  ['prioritized', { priority: 3, deduplication: { id: 'P' } }],
  ['prioritized', { priority: 1, deduplication: { id: 'P' } }],
];

describe('interop: deduplication', () => {
  const scope = scopePerTest('interop');

  it('every mode leaves the same keys, ids, TTLs and events as bullmq', async () => {
    const run = async (
      label: string,
      add: (name: string) => Adder,
    ): Promise<{ ids: (string | undefined)[]; space: Record<string, unknown> }> => {
      const name = scope.name(label);
      // a key without expiry whose owner is gone: both must recover it
      await scope.redis.set(`bull:${name}:de:ST`, 'gone');
      await scope.redis.hset(`bull:${name}:dn:ST`, 'jid', 'x', 'name', 'n', 'data', '{}', 'opts', '{}');
      const adder = add(name);
      const ids: (string | undefined)[] = [];
      for (const [i, [jobName, opts]] of SCRIPT.entries()) ids.push((await adder(jobName, { i }, opts)).id);
      return { ids, space: await normalizedSnapshot(scope.redis, name) };
    };
    const bull = await run('dedup-bull', (name) => {
      const queue = scope.track(new BullQueue(name, { connection: bullConnection() }));
      return (n, d, o) => queue.add(n, d, o as never);
    });
    const ours = await run('dedup-ours', (name) => {
      const queue = scope.track(new Queue(name, { connection: conveyorConnection() }));
      return (n, d, o) => queue.add(n, d, o);
    });
    expect(ours.ids).toEqual(bull.ids);
    expect(ours.space).toEqual(bull.space);
  });

  it('an id owned through one engine deduplicates adds through the other, both ways', async () => {
    const name = scope.name('dedup-cross');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));

    const bullOwner = await bull.add('j', { by: 'bullmq' }, { deduplication: { id: 'A' } });
    expect((await ours.add('j', { by: 'conveyor' }, { deduplication: { id: 'A' } })).id).toBe(bullOwner.id);
    expect(await ours.getDeduplicationJobId('A')).toBe(bullOwner.id);

    const ourOwner = await ours.add('j', { by: 'conveyor' }, { deduplication: { id: 'B', ttl: 60_000 } });
    expect((await bull.add('j', { by: 'bullmq' }, { deduplication: { id: 'B', ttl: 60_000 } })).id).toBe(ourOwner.id);
    expect(await bull.getDeduplicationJobId('B')).toBe(ourOwner.id);

    // replace across engines: a bullmq add replaces a delayed Conveyor owner, and the reverse
    const delayedOurs = await ours.add('d', { v: 1 }, { delay: 60_000, deduplication: { id: 'R', replace: true } });
    const replacingBull = await bull.add('d', { v: 2 }, { delay: 61_000, deduplication: { id: 'R', replace: true } });
    const replacingOurs = await ours.add('d', { v: 3 }, { delay: 62_000, deduplication: { id: 'R', replace: true } });
    expect(await ours.getJob(delayedOurs.id!)).toBeUndefined();
    expect(await bull.getJob(replacingBull.id!)).toBeUndefined();
    expect((await bull.getJob(replacingOurs.id!))?.data).toEqual({ v: 3 });

    const events = (await streamEvents(scope.redis, name)).filter((e) => e.event === 'deduplicated');
    expect(events.map(({ jobId, deduplicationId }) => `${deduplicationId}:${jobId}`)).toEqual([
      `A:${bullOwner.id}`,
      `B:${ourOwner.id}`,
      `R:${replacingBull.id}`,
      `R:${replacingOurs.id}`,
    ]);
  });

  it("a bullmq worker releases the simple-mode key of a Conveyor owner, and Conveyor's job.removeDeduplicationKey works on bullmq jobs", async () => {
    const name = scope.name('dedup-release');
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const owner = await ours.add('j', {}, { deduplication: { id: 'S' } });
    const worker = scope.track(new BullWorker(name, async () => 'done', { connection: bullConnection() }));
    await once(worker, 'completed', 5000);
    expect(await ours.getDeduplicationJobId('S')).toBeNull();
    await worker.close();

    const bullJob = await bull.add('j', {}, { deduplication: { id: 'S' } });
    expect(bullJob.id).not.toBe(owner.id);
    const read = (await ours.getJob(bullJob.id!))!;
    expect(read.deduplicationId).toBe('S');
    expect(await read.removeDeduplicationKey()).toBe(true);
    expect(await bull.getDeduplicationJobId('S')).toBeNull();
  });

  it("keepLastIfActive: Conveyor's kept add is run by a bullmq worker, and is the add bullmq keeps", async () => {
    const run = async (label: string, producer: 'bullmq' | 'conveyor') => {
      const name = scope.name(label);
      const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
      const { promise: held, resolve: release } = scope.gate();
      const seen: number[] = [];
      const worker = scope.track(
        new BullWorker(
          name,
          async (job: BullJob) => {
            seen.push(job.data.n);
            if (job.data.n === 1) await held;
            return job.data.n;
          },
          { connection: bullConnection() },
        ),
      );
      const opts: JobsOptions = { deduplication: { id: 'K', keepLastIfActive: true } };
      const add = (data: unknown, extra: JobsOptions = {}) =>
        producer === 'bullmq' ? bull.add('k', data, { ...opts, ...extra } as never) : ours.add('k', data, { ...opts, ...extra });
      const owner = await bull.add('k', { n: 1 }, opts as never);
      await once(worker, 'active', 5000);
      expect((await add({ n: 2 })).id).toBe(owner.id);
      expect((await add({ n: 3 }, { priority: 2, attempts: 3 })).id).toBe(owner.id);
      const kept = await scope.redis.hgetall(`bull:${name}:dn:K`);
      const done = times(worker, 'completed', 2, 5000);
      release();
      const [, [keptJob]] = await done;
      expect(seen).toEqual([1, 3]);
      const read = await ours.getJob(keptJob.id!);
      expect(read?.priority).toBe(2);
      expect(read?.opts.attempts).toBe(3);
      expect(read?.deduplicationId).toBe('K');
      await worker.close();
      const events = (await streamEvents(scope.redis, name)).map((e) => `${e.event} ${e.jobId ?? ''}`.trim());
      return { kept: { ...kept, opts: sortKeys(JSON.parse(kept.opts)) }, events, keptId: keptJob.id };
    };
    const viaBull = await run('keep-bull', 'bullmq');
    const viaOurs = await run('keep-ours', 'conveyor');
    expect(viaOurs).toEqual(viaBull);
    expect(viaOurs.keptId).toBe('3');
  });

  it('keepLastIfActive: a Conveyor worker finishing a bullmq owner queues a kept add Conveyor wrote', async () => {
    const name = scope.name('keep-mixed');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const { promise: held, resolve: release } = scope.gate();
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          if (job.data.n === 1) await held;
          return job.data.n;
        },
        { connection: conveyorConnection() },
      ),
    );
    const opts = { deduplication: { id: 'M', keepLastIfActive: true } };
    const active = once(worker, 'active', 15_000);
    const owner = await bull.add('k', { n: 1 }, opts);
    await active;
    expect((await ours.add('k', { n: 2 }, { ...opts, delay: 50 })).id).toBe(owner.id);
    const done = times(worker, 'completed', 2, 5000);
    release();
    const [, [keptJob, result]] = await done;
    expect(result).toBe(2);
    expect(keptJob.opts.delay).toBe(50);
    expect(await bull.getDeduplicationJobId('M')).toBeNull();
  });
});
