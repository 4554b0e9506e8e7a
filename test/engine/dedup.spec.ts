// Deduplication (opts.deduplication, wire-format §7.2): every mode, its keys, ids and events.
import { QueueEvents } from '../../lib/engine/events/queue-events.js';
import { type Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, streamEvents } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

/** Events as short lines: `<event> <jobId> [key=value ...]` (ids and fields that matter here). */
async function eventLines(scope: Scope, name: string): Promise<string[]> {
  return (await streamEvents(scope.redis, name)).map(({ event, jobId, ...rest }) => {
    const extra = Object.entries(rest)
      .filter(([k]) => !['name', 'delay', 'returnvalue'].includes(k))
      .map(([k, v]) => `${k}=${v}`);
    return [event, jobId, ...extra].filter((x) => x !== undefined).join(' ');
  });
}

/** A worker whose jobs named 'hold' stay active until released. */
function holdingWorker(scope: Scope, name: string) {
  const { promise: held, resolve: release } = scope.gate();
  const worker = scope.track(
    new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'hold') await held;
        if (job.name === 'fail') throw new Error('failing on purpose');
        return job.data;
      },
      { connection: connection() },
    ),
  );
  return { worker, release };
}

describe('deduplication: simple mode', () => {
  const scope = scopePerTest();

  it('drops adds while the owner is unfinished, stores deid and de, and emits deduplicated', async () => {
    const name = scope.name('dedup-simple');
    const queue = scope.queue(name);
    const first = await queue.add('j', { n: 1 }, { deduplication: { id: 'S' } });
    const second = await queue.add('j', { n: 2 }, { deduplication: { id: 'S' } });
    expect(first.id).toBe('1');
    expect(second.id).toBe('1');
    expect(second.deduplicationId).toBe('S');

    const hash = await scope.redis.hgetall(`bull:${name}:1`);
    expect(hash.deid).toBe('S');
    expect(JSON.parse(hash.opts)).toEqual({ de: { id: 'S' }, attempts: 0 });
    expect(hash.data).toBe('{"n":1}');
    expect(await scope.redis.exists(`bull:${name}:2`)).toBe(0);
    expect(await scope.redis.get(`bull:${name}:de:S`)).toBe('1');
    expect(await scope.redis.pttl(`bull:${name}:de:S`)).toBe(-1);
    // the dropped add still consumed an id (wire-format §1.2 "id"); the counter may be further on,
    // since a producer reserves ids in blocks (job-ids.ts)
    expect(Number(await scope.redis.get(`bull:${name}:id`))).toBeGreaterThanOrEqual(2);
    expect(await eventLines(scope, name)).toEqual(['added 1', 'waiting 1', 'deduplicated 1 deduplicationId=S deduplicatedJobId=2']);

    const events = scope.track(new QueueEvents(name, { connection: connection(), lastEventId: '0-0' }));
    const [args] = await once(events, 'deduplicated', 5000);
    expect(args).toEqual({ jobId: '1', deduplicationId: 'S', deduplicatedJobId: '2' });
    expect(await queue.getWaitingCount()).toBe(1);
  });

  it('frees the id when the owner completes or fails, so the next add becomes a new job', async () => {
    const name = scope.name('dedup-release');
    const queue = scope.queue(name);
    const { worker } = holdingWorker(scope, name);
    const owner = await queue.add('plain', { n: 1 }, { deduplication: { id: 'S' } });
    const [done] = await once(worker, 'completed', 5000, (job: Job) => job.id === owner.id);
    expect(done.deduplicationId).toBe('S');
    expect(await scope.redis.exists(`bull:${name}:de:S`)).toBe(0);

    const failing = await queue.add('fail', {}, { deduplication: { id: 'S' } });
    expect(failing.id).not.toBe(owner.id);
    await once(worker, 'failed', 5000, (job: Job) => job.id === failing.id);
    expect(await scope.redis.exists(`bull:${name}:de:S`)).toBe(0);

    const third = await queue.add('plain', {}, { deduplication: { id: 'S' } });
    expect(third.id).not.toBe(failing.id);
    await once(worker, 'completed', 5000, (job: Job) => job.id === third.id);
  });

  it('deduplicates a custom id add by its deduplication id (the dropped id is the custom one)', async () => {
    const name = scope.name('dedup-custom');
    const queue = scope.queue(name);
    expect((await queue.add('j', {}, { jobId: 'a-1', deduplication: { id: 'C' } })).id).toBe('a-1');
    expect((await queue.add('j', {}, { jobId: 'a-2', deduplication: { id: 'C' } })).id).toBe('a-1');
    // a custom id that exists is a duplicate first (§7.1 step 2): no deduplication event for it
    expect((await queue.add('j', {}, { jobId: 'a-1', deduplication: { id: 'other' } })).id).toBe('a-1');
    expect(await scope.redis.exists(`bull:${name}:a-2`, `bull:${name}:de:other`)).toBe(0);
    expect(await eventLines(scope, name)).toEqual([
      'added a-1',
      'waiting a-1',
      'deduplicated a-1 deduplicationId=C deduplicatedJobId=a-2',
      'duplicated a-1',
    ]);
  });

  it('deduplicates inside one addBulk, atomically', async () => {
    const name = scope.name('dedup-bulk');
    const queue = scope.queue(name);
    const jobs = await queue.addBulk([
      { name: 'b', data: { n: 1 }, opts: { deduplication: { id: 'B' } } },
      { name: 'b', data: { n: 2 }, opts: { deduplication: { id: 'B' } } },
      { name: 'b', data: { n: 3 }, opts: { deduplication: { id: 'B2' }, priority: 4 } },
    ]);
    expect(jobs.map((j) => j.id)).toEqual(['1', '1', '3']);
    expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 1, prioritized: 1 });
    expect(await scope.redis.get(`bull:${name}:de:B2`)).toBe('3');
  });

  it('recovers a stale key: an owner without expiry that no longer exists gives way (and its kept add goes)', async () => {
    const name = scope.name('dedup-stale');
    const queue = scope.queue(name);
    await scope.redis.set(`bull:${name}:de:ST`, 'gone');
    await scope.redis.hset(`bull:${name}:dn:ST`, 'jid', 'x', 'name', 'n', 'data', '{}', 'opts', '{}');
    const job = await queue.add('j', {}, { deduplication: { id: 'ST' } });
    expect(job.id).toBe('1');
    expect(await scope.redis.get(`bull:${name}:de:ST`)).toBe('1');
    expect(await scope.redis.exists(`bull:${name}:dn:ST`)).toBe(0);

    // with a ttl the key is a throttle window, owner or not: it keeps deduplicating
    await scope.redis.set(`bull:${name}:de:TT`, 'gone', 'PX', 60_000);
    expect((await queue.add('j', {}, { deduplication: { id: 'TT' } })).id).toBe('gone');
  });

  it('is released by remove, drain and clean, only when the removed job owns the id', async () => {
    const name = scope.name('dedup-admin');
    const queue = scope.queue(name);
    const a = await queue.add('j', {}, { deduplication: { id: 'A' } });
    await queue.add('j', {}, { deduplication: { id: 'B' } });
    const c = await queue.add('j', {}, { delay: 60_000, deduplication: { id: 'C' } });
    await scope.redis.hset(`bull:${name}:dn:A`, 'jid', 'k', 'name', 'n', 'data', '{}', 'opts', '{}');

    await queue.remove(a.id!);
    expect(await scope.redis.exists(`bull:${name}:de:A`, `bull:${name}:dn:A`)).toBe(0);

    // B's key was taken over by another job: removing B's old owner must not free it
    await scope.redis.set(`bull:${name}:de:B`, 'newer');
    await queue.drain();
    expect(await scope.redis.get(`bull:${name}:de:B`)).toBe('newer');
    expect(await scope.redis.get(`bull:${name}:de:C`)).toBe(c.id);

    await queue.clean(0, 0, 'delayed');
    expect(await scope.redis.exists(`bull:${name}:de:C`)).toBe(0);
    expect((await queue.add('j', {}, { deduplication: { id: 'C' } })).id).not.toBe(c.id);
  });
});

describe('deduplication: throttle (ttl) and extend', () => {
  const scope = scopePerTest();

  it('holds the id for ttl ms even after the owner completed, then lets the next add in', async () => {
    const name = scope.name('dedup-ttl');
    const queue = scope.queue(name);
    const worker = scope.track(new Worker(name, async () => 'done', { connection: connection() }));
    // listeners first: a job can complete before the add's reply is read
    const ownerDone = once(worker, 'completed', 5000);
    const owner = await queue.add('j', {}, { deduplication: { id: 'T', ttl: 2000 } });
    const ttl = await scope.redis.pttl(`bull:${name}:de:T`);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
    await ownerDone;
    // a key with a ttl is not released on completion (§7.2)
    expect(await scope.redis.get(`bull:${name}:de:T`)).toBe(owner.id);
    expect((await queue.add('j', {}, { deduplication: { id: 'T', ttl: 2000 } })).id).toBe(owner.id);

    await until(
      'the throttle key to expire',
      () => scope.redis.exists(`bull:${name}:de:T`),
      (n) => n === 0,
      5000,
    );
    const nextDone = once(worker, 'completed', 5000, (job: Job) => job.id !== owner.id);
    const next = await queue.add('j', {}, { deduplication: { id: 'T', ttl: 2000 } });
    expect(next.id).not.toBe(owner.id);
    expect((await nextDone)[0].id).toBe(next.id);
  });

  it('extend starts the window afresh on every deduplicated add, keeping the owner', async () => {
    const name = scope.name('dedup-extend');
    const queue = scope.queue(name);
    const owner = await queue.add('j', {}, { deduplication: { id: 'E', ttl: 300, extend: true } });
    expect(await scope.redis.pttl(`bull:${name}:de:E`)).toBeLessThanOrEqual(300);
    const again = await queue.add('j', {}, { deduplication: { id: 'E', ttl: 60_000, extend: true } });
    expect(again.id).toBe(owner.id);
    expect(await scope.redis.pttl(`bull:${name}:de:E`)).toBeGreaterThan(30_000);
    expect(await scope.redis.get(`bull:${name}:de:E`)).toBe(owner.id);

    // without extend the window is left alone
    await queue.add('j', {}, { deduplication: { id: 'F', ttl: 60_000 } });
    await queue.add('j', {}, { deduplication: { id: 'F', ttl: 120_000 } });
    expect(await scope.redis.pttl(`bull:${name}:de:F`)).toBeLessThanOrEqual(60_000);
  });
});

describe('deduplication: debounce (replace) and reschedule', () => {
  const scope = scopePerTest();

  it('replace: a newer add replaces a delayed owner (removed prev delayed, roles swapped in deduplicated)', async () => {
    const name = scope.name('dedup-replace');
    const queue = scope.queue(name);
    const old = await queue.add('d', { v: 'old' }, { delay: 60_000, deduplication: { id: 'R', replace: true } });
    const newer = await queue.add('d', { v: 'new' }, { delay: 60_000, deduplication: { id: 'R', replace: true } });
    expect(newer.id).toBe('2');
    expect(await scope.redis.exists(`bull:${name}:${old.id}`)).toBe(0);
    expect(await scope.redis.zrange(`bull:${name}:delayed`, 0, -1)).toEqual(['2']);
    expect(await scope.redis.get(`bull:${name}:de:R`)).toBe('2');
    expect(await scope.redis.pttl(`bull:${name}:de:R`)).toBe(-1);
    expect((await queue.getJob('2'))?.data).toEqual({ v: 'new' });
    expect(await eventLines(scope, name)).toEqual([
      'added 1',
      'delayed 1',
      'removed 1 prev=delayed',
      'deduplicated 2 deduplicationId=R deduplicatedJobId=1',
      'added 2',
      'delayed 2',
    ]);
  });

  it('replace with ttl keeps the running window; with ttl and extend starts a fresh one', async () => {
    const name = scope.name('dedup-replace-ttl');
    const queue = scope.queue(name);
    await queue.add('d', {}, { delay: 60_000, deduplication: { id: 'K', replace: true, ttl: 1000 } });
    await queue.add('d', {}, { delay: 60_000, deduplication: { id: 'K', replace: true, ttl: 60_000 } });
    expect(await scope.redis.get(`bull:${name}:de:K`)).toBe('2');
    expect(await scope.redis.pttl(`bull:${name}:de:K`)).toBeLessThanOrEqual(1000);

    await queue.add('d', {}, { delay: 60_000, deduplication: { id: 'X', replace: true, ttl: 1000, extend: true } });
    await queue.add('d', {}, { delay: 60_000, deduplication: { id: 'X', replace: true, ttl: 60_000, extend: true } });
    expect(await scope.redis.get(`bull:${name}:de:X`)).toBe('4');
    expect(await scope.redis.pttl(`bull:${name}:de:X`)).toBeGreaterThan(30_000);
  });

  it('replace drops the add silently when the owner is no longer delayed', async () => {
    const name = scope.name('dedup-replace-waiting');
    const queue = scope.queue(name);
    const owner = await queue.add('d', { v: 1 }, { deduplication: { id: 'W', replace: true } });
    const dropped = await queue.add('d', { v: 2 }, { delay: 1000, deduplication: { id: 'W', replace: true } });
    expect(dropped.id).toBe(owner.id);
    expect((await queue.getJob(owner.id!))?.data).toEqual({ v: 1 });
    expect(await eventLines(scope, name)).toEqual(['added 1', 'waiting 1']);
  });

  it("reschedule moves a delayed owner to the newer add's due time (its delay field too)", async () => {
    const name = scope.name('dedup-reschedule');
    const queue = scope.queue(name);
    const owner = await queue.add('d', { v: 1 }, { delay: 60_000, deduplication: { id: 'RS', reschedule: true } });
    const before = Date.now();
    const again = await queue.add('d', { v: 2 }, { delay: 600_000, deduplication: { id: 'RS', reschedule: true } });
    expect(again.id).toBe(owner.id);
    const score = Number(await scope.redis.zscore(`bull:${name}:delayed`, owner.id!));
    const due = Math.floor(score / 4096);
    expect(due).toBeGreaterThanOrEqual(before + 600_000);
    expect(due).toBeLessThan(Date.now() + 600_000 + 1);
    const hash = await scope.redis.hgetall(`bull:${name}:${owner.id}`);
    expect(hash.delay).toBe('600000');
    expect(hash.data).toBe('{"v":1}');
    const delayedEvents = (await streamEvents(scope.redis, name)).filter((e) => e.event === 'delayed');
    expect(delayedEvents.map((e) => Number(e.delay))).toEqual([expect.any(Number), due]);
    expect(await eventLines(scope, name)).toEqual([
      'added 1',
      'delayed 1',
      'deduplicated 1 deduplicationId=RS deduplicatedJobId=2',
      'delayed 1',
    ]);
    expect(Number(await scope.redis.zscore(`bull:${name}:marker`, '1'))).toBe(due);
  });

  it('reschedule to no delay makes the owner due now: an idle worker runs it at once', async () => {
    const name = scope.name('dedup-reschedule-now');
    const queue = scope.queue(name);
    // drainDelay of a minute: woken by the delay marker, or it would miss the 5 s below
    const worker = scope.track(new Worker(name, async (job: Job) => job.data, { connection: connection(), drainDelay: 60 }));
    await once(worker, 'drained', 5000);
    const owner = await queue.add('d', { v: 1 }, { delay: 600_000, deduplication: { id: 'N', reschedule: true } });
    await queue.add('d', { v: 2 }, { deduplication: { id: 'N', reschedule: true } });
    const [job, result] = await once(worker, 'completed', 5000);
    expect(job.id).toBe(owner.id);
    expect(result).toEqual({ v: 1 });
  });

  it('reschedule leaves an owner alone that is not delayed (plain deduplication)', async () => {
    const name = scope.name('dedup-reschedule-waiting');
    const queue = scope.queue(name);
    await queue.add('d', {}, { deduplication: { id: 'RW', reschedule: true } });
    await queue.add('d', {}, { delay: 5000, deduplication: { id: 'RW', reschedule: true } });
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 1, delayed: 0 });
    expect(await eventLines(scope, name)).toEqual(['added 1', 'waiting 1', 'deduplicated 1 deduplicationId=RW deduplicatedJobId=2']);
  });
});

describe('deduplication: keepLastIfActive', () => {
  const scope = scopePerTest();

  it('keeps the last add made while the owner is active and runs it after the owner, with its own options', async () => {
    const name = scope.name('dedup-keeplast');
    const queue = scope.queue(name);
    const { worker, release } = holdingWorker(scope, name);
    const opts = { deduplication: { id: 'K', keepLastIfActive: true } };
    const ownerActive = once(worker, 'active', 5000);
    const owner = await queue.add('hold', { n: 1 }, opts);
    await ownerActive;
    const second = await queue.add('plain', { n: 2 }, opts);
    const third = await queue.add('plain', { n: 3 }, { ...opts, priority: 7, attempts: 2 });
    expect([second.id, third.id]).toEqual([owner.id, owner.id]);
    const kept = await scope.redis.hgetall(`bull:${name}:dn:K`);
    expect({ ...kept, opts: JSON.parse(kept.opts) }).toEqual({
      jid: '3',
      name: 'plain',
      data: '{"n":3}',
      opts: { priority: 7, attempts: 2, de: { id: 'K', keepLastIfActive: true } },
    });
    expect(await scope.redis.pttl(`bull:${name}:de:K`)).toBe(-1);

    const both = times(worker, 'completed', 2, 5000);
    release();
    const [[first], [keptJob, keptResult]] = await both;
    expect(first.id).toBe(owner.id);
    expect(keptJob.id).toBe('3');
    expect(keptResult).toEqual({ n: 3 });
    expect(keptJob.priority).toBe(7);
    expect(keptJob.opts.attempts).toBe(2);
    expect(keptJob.deduplicationId).toBe('K');
    expect(await scope.redis.exists(`bull:${name}:dn:K`, `bull:${name}:de:K`)).toBe(0);
    expect(await eventLines(scope, name)).toEqual([
      'added 1',
      'waiting 1',
      'active 1 prev=waiting',
      'deduplicated 1 deduplicationId=K deduplicatedJobId=2',
      'deduplicated 1 deduplicationId=K deduplicatedJobId=3',
      'added 3',
      'waiting 3',
      'completed 1 prev=active',
      'active 3 prev=waiting',
      'completed 3 prev=active',
      'drained',
    ]);
  });

  it('queues the kept add when the owner fails too, and ignores ttl', async () => {
    const name = scope.name('dedup-keeplast-fail');
    const queue = scope.queue(name);
    const { promise: held, resolve: release } = scope.gate();
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          if (job.data.n === 1) {
            await held;
            throw new Error('owner fails');
          }
          return job.data.n;
        },
        { connection: connection() },
      ),
    );
    const opts = { deduplication: { id: 'F', keepLastIfActive: true, ttl: 50 } };
    const ownerActive = once(worker, 'active', 5000); // before the add: the job can start before its reply is read
    const owner = await queue.add('j', { n: 1 }, opts);
    expect(await scope.redis.pttl(`bull:${name}:de:F`)).toBe(-1);
    await ownerActive;
    expect((await queue.add('j', { n: 2 }, opts)).id).toBe(owner.id);
    const done = once(worker, 'completed', 5000);
    release();
    const [job, result] = await done;
    expect(result).toBe(2);
    expect(job.id).toBe('2');
    expect(await queue.getJobState(owner.id!)).toBe('failed');
  });

  it('behaves as simple mode while the owner is not active (no kept add)', async () => {
    const name = scope.name('dedup-keeplast-waiting');
    const queue = scope.queue(name);
    const opts = { deduplication: { id: 'W', keepLastIfActive: true } };
    const owner = await queue.add('j', { n: 1 }, opts);
    expect((await queue.add('j', { n: 2 }, opts)).id).toBe(owner.id);
    expect(await scope.redis.exists(`bull:${name}:dn:W`)).toBe(0);
    expect(await eventLines(scope, name)).toEqual(['added 1', 'waiting 1', 'deduplicated 1 deduplicationId=W deduplicatedJobId=2']);
  });
});

describe('deduplication keys through the API', () => {
  const scope = scopePerTest();

  it('getDeduplicationJobId, removeDeduplicationKey and their deprecated debounce names', async () => {
    const name = scope.name('dedup-api');
    const queue: Queue = scope.queue(name);
    expect(await queue.getDeduplicationJobId('G')).toBeNull();
    const job = await queue.add('j', {}, { deduplication: { id: 'G' } });
    expect(await queue.getDeduplicationJobId('G')).toBe(job.id);
    expect(await queue.getDebounceJobId('G')).toBe(job.id);
    expect(await queue.removeDeduplicationKey('G')).toBe(1);
    expect(await queue.removeDeduplicationKey('G')).toBe(0);
    expect(await queue.getDeduplicationJobId('G')).toBeNull();
    const next = await queue.add('j', {}, { deduplication: { id: 'G' } });
    expect(next.id).not.toBe(job.id);
    expect(await queue.removeDebounceKey('G')).toBe(1);
  });

  it('job.removeDeduplicationKey frees the id only while the job owns it', async () => {
    const name = scope.name('dedup-job-api');
    const queue = scope.queue(name);
    const job = await queue.add('j', {}, { deduplication: { id: 'H' } });
    const read = (await queue.getJob(job.id!))!;
    expect(read.deduplicationId).toBe('H');
    await scope.redis.set(`bull:${name}:de:H`, 'someone-else');
    expect(await read.removeDeduplicationKey()).toBe(false);
    expect(await scope.redis.get(`bull:${name}:de:H`)).toBe('someone-else');
    await scope.redis.set(`bull:${name}:de:H`, job.id!);
    expect(await job.removeDeduplicationKey()).toBe(true);
    expect(await scope.redis.exists(`bull:${name}:de:H`)).toBe(0);
    expect(await job.removeDeduplicationKey()).toBe(false);
    expect(await (await queue.add('j', {})).removeDeduplicationKey()).toBe(false);
  });

  it('a processor can free the id as soon as it starts ("deduplicate until active")', async () => {
    const name = scope.name('dedup-until-active');
    const queue = scope.queue(name);
    const { promise: held, resolve: release } = scope.gate();
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          await job.removeDeduplicationKey();
          await held;
        },
        { connection: connection() },
      ),
    );
    const firstActive = once(worker, 'active', 5000);
    const first = await queue.add('j', {}, { deduplication: { id: 'U' } });
    await firstActive;
    await until(
      'the processor to free the id',
      () => queue.getDeduplicationJobId('U'),
      (v) => v === null,
    );
    const second = await queue.add('j', {}, { deduplication: { id: 'U' } });
    expect(second.id).not.toBe(first.id);
    release();
  });
});
