// Job schedulers (wire-format §7.12): storage, iteration times, limits, upsert in place, removal,
// listing. Iterations are awaited through worker events, never by sleeping.
import { nextCronTime } from '../../lib/engine/scheduler/repeat-time.js';
import { ConveyorScriptError, ErrorCode, Queue, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection, streamEvents } from '../support/redis.js';
import { Scope } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

/** The millis part of an iteration id `repeat:<scheduler>:<millis>`. */
const millisOf = (jobId: string) => Number(jobId.slice(jobId.lastIndexOf(':') + 1));

function worker(scope: Scope, name: string, seen: Job[], opts: Record<string, unknown> = {}): Worker {
  return scope.track(
    new Worker(
      name,
      async (job: Job) => {
        seen.push(job);
        return job.id;
      },
      { connection: connection(), ...opts },
    ),
  );
}

describe('job schedulers', () => {
  let scope: Scope;
  let name: string;
  let queue: Queue;
  const key = (suffix: string) => `bull:${name}:${suffix}`;

  beforeEach(() => {
    scope = new Scope();
    name = scope.name('sched');
    queue = scope.queue(name);
  });
  afterEach(async () => {
    await scope.close();
  });

  it('every: first iteration at once, stored in the BullMQ layout, then one per interval as workers take them', async () => {
    const before = Date.now();
    const first = await queue.upsertJobScheduler('tick', { every: 300 }, { name: 'tick-job', data: { n: 1 }, opts: { attempts: 2 } });
    expect(first).toBeDefined();
    const m0 = millisOf(first!.id!);
    expect(first!.id).toBe(`repeat:tick:${m0}`);
    expect(m0).toBeGreaterThanOrEqual(before);
    expect(m0).toBeLessThanOrEqual(Date.now());
    expect(first!.name).toBe('tick-job');
    expect(first!.data).toEqual({ n: 1 });
    expect(first!.repeatJobKey).toBe('tick');
    expect(first!.delay).toBe(0);

    const r = scope.redis;
    expect(await r.zscore(key('repeat'), 'tick')).toBe(String(m0));
    expect(await r.hgetall(key('repeat:tick'))).toEqual({
      name: 'tick-job',
      every: '300',
      offset: String(m0 % 300),
      opts: '{"attempts":2}',
      data: '{"n":1}',
      ic: '1',
    });
    const hash = await r.hgetall(key(first!.id!));
    expect(hash).toMatchObject({ name: 'tick-job', data: '{"n":1}', rjk: 'tick', delay: '0', priority: '0' });
    expect(JSON.parse(hash.opts)).toEqual({
      attempts: 2,
      repeat: { every: 300, count: 1 },
      repeatJobKey: 'tick',
      jobId: first!.id,
      delay: 0,
      timestamp: Number(hash.timestamp),
    });
    expect(await r.lrange(key('wait'), 0, -1)).toEqual([first!.id]);
    expect(await r.get(key('id'))).toBe('1');

    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 3, 10000);
    await w.close();
    // one slot after another (a worker taking one late on a busy machine skips to the current slot)
    const millis = seen.map((j) => millisOf(j.id!));
    expect(millis[0]).toBe(m0);
    for (let i = 1; i < millis.length; i++) {
      expect(millis[i]).toBeGreaterThan(millis[i - 1]);
      expect((millis[i] - m0) % 300).toBe(0);
    }
    expect(seen.slice(0, 3).map((j) => (j.opts.repeat as { count: number }).count)).toEqual([1, 2, 3]);
    // each taken iteration created its successor before it ran
    const third = await r.hgetall(key(seen[2].id!));
    expect(JSON.parse(third.opts)).toMatchObject({ attempts: 2, repeat: { every: 300, count: 3 }, repeatJobKey: 'tick' });
    const ic = Number(await r.hget(key('repeat:tick'), 'ic'));
    expect(ic).toBe(seen.length + 1);
    expect(Number(await r.zscore(key('repeat'), 'tick'))).toBeGreaterThan(millis[millis.length - 1]);

    const second = seen[1].id!;
    const events = (await streamEvents(r, name)).filter((e) => e.jobId === second || e.jobId === first!.id);
    // active of the first, then the successor is added (delayed) before the first completes
    expect(events.map((e) => `${e.event} ${e.jobId === first!.id ? 'first' : 'second'}`)).toEqual(
      expect.arrayContaining(['added first', 'waiting first', 'active first', 'added second', 'delayed second', 'completed first']),
    );
    const order = events.map((e) => `${e.event} ${e.jobId === first!.id ? 'first' : 'second'}`);
    expect(order.indexOf('added second')).toBeGreaterThan(order.indexOf('active first'));
    expect(order.indexOf('added second')).toBeLessThan(order.indexOf('completed first'));
  });

  it('cron with a seconds field: iterations on whole seconds, prevMillis stored, next from max(now, prevMillis)', async () => {
    const before = Date.now();
    const first = await queue.upsertJobScheduler('sec', { pattern: '* * * * * *' }, { name: 'cron' });
    const m0 = millisOf(first!.id!);
    expect(m0 % 1000).toBe(0);
    expect(m0).toBeGreaterThan(before); // the first match strictly after the upsert's now
    expect(first!.opts).toMatchObject({ prevMillis: m0, repeat: { pattern: '* * * * * *', count: 1 } });
    expect(await scope.redis.hgetall(key('repeat:sec'))).toEqual({ name: 'cron', pattern: '* * * * * *', offset: '0', ic: '1' });

    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 2, 10000);
    await w.close();
    const [a, b] = seen.map((j) => millisOf(j.id!));
    expect(a).toBe(m0);
    expect(b % 1000).toBe(0);
    expect(b).toBeGreaterThan(a);
    expect(seen[1].opts).toMatchObject({ prevMillis: b, repeat: { pattern: '* * * * * *', count: 2 } });
  });

  it('cron in a time zone: the next 03:00 in Asia/Tokyo is 18:00 UTC', async () => {
    const job = await queue.upsertJobScheduler('tokyo', { pattern: '0 3 * * *', tz: 'Asia/Tokyo' });
    const next = millisOf(job!.id!);
    expect(next % 86_400_000).toBe(18 * 3_600_000);
    expect(next).toBeGreaterThan(Date.now());
    expect(next - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(job!.delay).toBeGreaterThan(0);
    expect(await scope.redis.zscore(key('delayed'), job!.id!)).not.toBeNull();
    expect(await scope.redis.hget(key('repeat:tokyo'), 'tz')).toBe('Asia/Tokyo');
    // the same pattern read in UTC runs nine hours later
    const utc = await queue.upsertJobScheduler('utc', { pattern: '0 3 * * *', tz: 'UTC' });
    expect(millisOf(utc!.id!) % 86_400_000).toBe(3 * 3_600_000);
    // a six-field pattern with seconds in a zone
    const six = await queue.upsertJobScheduler('six', { pattern: '30 15 10 * * *', tz: 'Europe/Paris' });
    expect(millisOf(six!.id!)).toBe(nextCronTime('30 15 10 * * *', 'Europe/Paris', Number(six!.opts.timestamp)));
    expect(new Date(millisOf(six!.id!)).getUTCSeconds()).toBe(30);
  });

  it('limit: no iteration after the limit; the scheduler stays listed with its count', async () => {
    await queue.upsertJobScheduler('lim', { every: 200, limit: 2 }, { name: 'l' });
    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 2, 10000);
    // the second iteration was taken (and its successor decided) before it completed
    const [one, two] = seen.map((j) => j.id!);
    expect(millisOf(two)).toBeGreaterThan(millisOf(one));
    expect((millisOf(two) - millisOf(one)) % 200).toBe(0);
    expect(await scope.redis.zscore(key('repeat'), 'lim')).toBe(String(millisOf(two)));
    expect(await scope.redis.zcard(key('delayed'))).toBe(0);
    expect(await scope.redis.llen(key('wait'))).toBe(0);
    expect(await queue.getJobScheduler('lim')).toMatchObject({ iterationCount: 2, limit: 2, next: millisOf(two) });
    await w.close();
    expect(seen).toHaveLength(2);
  });

  it('startDate and endDate: first iteration at startDate, none after endDate', async () => {
    const start = Date.now() + 600;
    const end = start + 700;
    const first = await queue.upsertJobScheduler('window', { every: 500, startDate: new Date(start), endDate: end });
    expect(first!.id).toBe(`repeat:window:${start}`);
    expect(first!.delay).toBeGreaterThan(0);
    expect(await scope.redis.zscore(key('delayed'), first!.id!)).not.toBeNull();
    expect(first!.opts.repeat).toEqual({ every: 500, startDate: start, endDate: end, count: 1 });
    expect(await scope.redis.hgetall(key('repeat:window'))).toMatchObject({
      startDate: String(start),
      endDate: String(end),
      offset: String(start % 500),
    });
    // a single slot before endDate: taking it creates nothing, however late the worker is
    const single = Date.now() + 300;
    await queue.upsertJobScheduler('single', { every: 500, startDate: single, endDate: single + 200 });

    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    const singleDone = times(w, 'completed', 1, 10000, (j: Job) => j.repeatJobKey === 'single');
    await times(w, 'completed', 2, 10000, (j: Job) => j.repeatJobKey === 'window');
    await singleDone;
    expect(seen.filter((j) => j.repeatJobKey === 'window').map((j) => j.id)).toEqual([
      `repeat:window:${start}`,
      `repeat:window:${start + 500}`,
    ]);
    expect(seen[0].processedOn).toBeGreaterThanOrEqual(Math.min(start, single));
    // start + 1000 and single + 500 are past their endDates: nothing more was created
    expect(await scope.redis.zscore(key('repeat'), 'window')).toBe(String(start + 500));
    expect(await scope.redis.zscore(key('repeat'), 'single')).toBe(String(single));
    expect(await scope.redis.zcard(key('delayed'))).toBe(0);
    expect(await scope.redis.llen(key('wait'))).toBe(0);
    await w.close();
    expect(seen).toHaveLength(3);
  });

  it('a late worker: the successor of an overdue iteration is the next slot of its grid, not a burst', async () => {
    const job = await queue.upsertJobScheduler('late', { every: 1000 }, { name: 'late' });
    // make the pending iteration 5.5 s overdue, as if no worker had run meanwhile
    const old = millisOf(job!.id!) - 5500;
    const oldId = `repeat:late:${old}`;
    const r = scope.redis;
    await r.rename(key(job!.id!), key(oldId));
    await r.lrem(key('wait'), 0, job!.id!);
    await r.lpush(key('wait'), oldId);
    await r.zadd(key('repeat'), old, 'late');

    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 1, 10000);
    await w.close();
    expect(seen[0].id).toBe(oldId);
    const next = Number(await r.zscore(key('repeat'), 'late'));
    expect((next - old) % 1000).toBe(0);
    expect(next).toBeGreaterThanOrEqual(seen[0].processedOn!);
    // taken at some "now" before this line: one step past it at most
    expect(next).toBeLessThan(Date.now() + 1000);
    expect(await r.zrange(key('delayed'), 0, -1)).toEqual([`repeat:late:${next}`]);
  });

  it('a cron whose first match is after endDate writes nothing', async () => {
    const job = await queue.upsertJobScheduler('never', { pattern: '0 0 1 1 *', endDate: Date.now() + 60_000 });
    expect(job).toBeUndefined();
    expect(await queue.getJobSchedulersCount()).toBe(0);
    expect(await scope.redis.exists(key('repeat:never'))).toBe(0);
  });

  it('immediately: a cron runs its first iteration now, then follows the pattern', async () => {
    const before = Date.now();
    const now = await queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *', immediately: true });
    const m0 = millisOf(now!.id!);
    expect(m0).toBeGreaterThanOrEqual(before);
    expect(m0).toBeLessThanOrEqual(Date.now());
    expect(now!.delay).toBe(0);
    expect(await scope.redis.lrange(key('wait'), 0, -1)).toEqual([now!.id]);
    // immediately is not part of the stored schedule (as BullMQ)
    expect(now!.opts.repeat).toEqual({ pattern: '0 0 1 1 *', count: 1 });

    const w = worker(scope, name, []);
    await times(w, 'completed', 1, 10000);
    const next = Number(await scope.redis.zscore(key('repeat'), 'yearly'));
    expect(new Date(next).getMonth()).toBe(0);
    expect(new Date(next).getDate()).toBe(1);
    expect(next).toBe(nextCronTime('0 0 1 1 *', undefined, m0));
    await w.close();
  });

  it('offset: iterations at k * every + offset', async () => {
    const before = Date.now();
    const job = await queue.upsertJobScheduler('off', { every: 60_000, offset: 1234 });
    const m0 = millisOf(job!.id!);
    expect(m0 % 60_000).toBe(1234);
    expect(m0).toBeGreaterThanOrEqual(before);
    expect(m0 - before).toBeLessThanOrEqual(60_000);
    expect(job!.opts.repeat).toEqual({ every: 60_000, offset: 1234, count: 1 });
    expect(await scope.redis.hget(key('repeat:off'), 'offset')).toBe('1234');

    // a short one, to see the grid continue through a worker
    const short = await queue.upsertJobScheduler('grid', { every: 250, offset: 100 });
    expect(millisOf(short!.id!) % 250).toBe(100);
    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 2, 10000, (j: Job) => j.repeatJobKey === 'grid');
    await w.close();
    for (const j of seen.filter((s) => s.repeatJobKey === 'grid')) expect(millisOf(j.id!) % 250).toBe(100);
  });

  it('upsert is idempotent: the same pending iteration, rewritten; ic and the schedule kept', async () => {
    const a = await queue.upsertJobScheduler('same', { every: 60_000, offset: 500 }, { name: 'n', data: { v: 1 } });
    const hashBefore = await scope.redis.hgetall(key('repeat:same'));
    const b = await queue.upsertJobScheduler('same', { every: 60_000, offset: 500 }, { name: 'n', data: { v: 1 } });
    expect(b!.id).toBe(a!.id);
    expect(await scope.redis.hgetall(key('repeat:same'))).toEqual(hashBefore);
    expect(await scope.redis.zrange(key('delayed'), 0, -1)).toEqual([a!.id]);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    // every upsert counts as an add (INCR id), as in BullMQ
    expect(await scope.redis.get(key('id'))).toBe('2');
    const events = (await streamEvents(scope.redis, name)).map((e) => e.event);
    expect(events).toEqual(['added', 'delayed', 'added', 'delayed']);
  });

  it('upsert updates in place: new template on the same pending iteration, ic kept; a new interval replaces it', async () => {
    await queue.upsertJobScheduler('upd', { every: 200 }, { name: 'v1', data: { v: 1 } });
    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 2, 10000);
    await w.close();
    const ic = await scope.redis.hget(key('repeat:upd'), 'ic');
    expect(Number(ic)).toBeGreaterThanOrEqual(3);
    const pendingId = `repeat:upd:${await scope.redis.zscore(key('repeat'), 'upd')}`;
    expect(['delayed', 'waiting']).toContain(await queue.getJobState(pendingId));

    const updated = await queue.upsertJobScheduler('upd', { every: 200 }, { name: 'v2', data: { v: 2 } });
    expect(updated!.id).toBe(pendingId);
    expect(updated!.name).toBe('v2');
    expect(updated!.data).toEqual({ v: 2 });
    expect(updated!.opts.repeat).toEqual({ every: 200, count: 1 });
    expect(await scope.redis.hgetall(key('repeat:upd'))).toMatchObject({ name: 'v2', data: '{"v":2}', ic });

    const before = Date.now();
    const changed = await queue.upsertJobScheduler('upd', { every: 60_000 }, { name: 'v3' });
    expect(changed!.id).not.toBe(pendingId);
    expect(millisOf(changed!.id!)).toBeGreaterThanOrEqual(before);
    expect(await scope.redis.exists(key(pendingId))).toBe(0);
    expect(await scope.redis.zscore(key('delayed'), pendingId)).toBeNull();
    expect(await scope.redis.hgetall(key('repeat:upd'))).toMatchObject({ name: 'v3', every: '60000', ic });
    expect(await scope.redis.hexists(key('repeat:upd'), 'data')).toBe(0);
  });

  it('a new interval with an iteration pending keeps the stored offset unless one is given (as bullmq 6.7)', async () => {
    await queue.upsertJobScheduler('grid', { every: 60_000, offset: 1234 });
    const now = Date.now();
    const changed = await queue.upsertJobScheduler('grid', { every: 120_000 });
    // no offset given: the first run is now (bullmq's "fresh start"), the stored offset stays
    expect(millisOf(changed!.id!)).toBeGreaterThanOrEqual(now);
    expect(changed!.delay).toBe(0);
    expect(await queue.getJobScheduler('grid')).toMatchObject({ every: 120_000, offset: 1234 });
    // an offset given moves the grid
    const aligned = await queue.upsertJobScheduler('grid', { every: 120_000, offset: 5000 });
    expect(millisOf(aligned!.id!) % 120_000).toBe(5000);
    expect(await queue.getJobScheduler('grid')).toMatchObject({ offset: 5000, next: millisOf(aligned!.id!) });
    expect(await queue.getWaitingCount()).toBe(0);
    expect(await scope.redis.zrange(key('delayed'), 0, -1)).toEqual([aligned!.id]);
  });

  it('a cron iteration promoted and taken early: an upsert of that scheduler moves on to the following time, the running job untouched', async () => {
    const first = await queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *' }, { data: { v: 'old' } });
    await first!.promote();
    const w = scope.track(new Worker(name, null, { connection: connection() }));
    const running = await w.getNextJob('token-1');
    expect(running!.id).toBe(first!.id);
    const successor = `repeat:yearly:${nextCronTime('0 0 1 1 *', undefined, millisOf(first!.id!))}`;
    expect(await scope.redis.zrange(key('delayed'), 0, -1)).toEqual([successor]);
    const runningHash = await scope.redis.hgetall(key(first!.id!));

    // the pattern's next time is the running iteration's: bullmq would rewrite that job and queue
    // its id a second time; Conveyor updates the pending successor instead
    const updated = await queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *' }, { data: { v: 'new' } });
    expect(updated!.id).toBe(successor);
    expect(updated!.data).toEqual({ v: 'new' });
    expect(await scope.redis.hgetall(key(first!.id!))).toEqual(runningHash);
    expect(await scope.redis.lrange(key('active'), 0, -1)).toEqual([first!.id]);
    expect(await scope.redis.zrange(key('delayed'), 0, -1)).toEqual([successor]);
    expect(await queue.getJobScheduler('yearly')).toMatchObject({ next: millisOf(successor), template: { data: { v: 'new' } } });

    // a new scheduler meeting an existing job at its first time is still bullmq's error (-10)
    await queue.removeJobScheduler('yearly');
    const err = await queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Cannot create job scheduler iteration - job ID already exists. addJobScheduler');
  });

  it('an every slot taken by an existing job is skipped; 32 taken slots fail with -11, writing nothing', async () => {
    const start = Date.now() + 60_000;
    for (let k = 0; k < 3; k++) await queue.add('stale', {}, { jobId: `repeat:busy:${start + k * 1000}`, delay: 600_000 });
    const job = await queue.upsertJobScheduler('busy', { every: 1000, startDate: start });
    expect(job!.id).toBe(`repeat:busy:${start + 3000}`);

    const full = Date.now() + 120_000;
    for (let k = 0; k < 32; k++) await queue.add('stale', {}, { jobId: `repeat:full:${full + k * 1000}`, delay: 600_000 });
    const snap = await snapshotQueue(scope.redis, name);
    const err = await queue.upsertJobScheduler('full', { every: 1000, startDate: full }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorScriptError);
    expect((err as ConveyorScriptError).code).toBe(ErrorCode.SchedulerJobSlotsBusy);
    expect(await snapshotQueue(scope.redis, name)).toEqual(snap);
  });

  it('a cron time taken by an existing job fails with -10, writing nothing', async () => {
    const next = nextCronTime('0 0 1 1 *', undefined, Date.now());
    await queue.add('stale', {}, { jobId: `repeat:taken:${next}`, delay: 600_000 });
    const snap = await snapshotQueue(scope.redis, name);
    const err = await queue.upsertJobScheduler('taken', { pattern: '0 0 1 1 *' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorScriptError);
    expect((err as ConveyorScriptError).code).toBe(ErrorCode.SchedulerJobIdCollision);
    expect((err as Error).message).toMatch(/job ID already exists/);
    expect(await snapshotQueue(scope.redis, name)).toEqual(snap);
  });

  it('removeJobScheduler removes the scheduler and its pending delayed iteration (removed event); the current iteration cannot be removed alone', async () => {
    const job = await queue.upsertJobScheduler('gone', { every: 60_000, offset: 1 });
    const err = await job!.remove().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConveyorScriptError);
    expect((err as ConveyorScriptError).code).toBe(ErrorCode.JobBelongsToJobScheduler);
    expect((err as Error).message).toBe(`Job ${job!.id} belongs to a job scheduler and cannot be removed directly. removeJob`);
    await expect(queue.remove(job!.id!)).rejects.toThrow(/belongs to a job scheduler/);

    expect(await queue.removeJobScheduler('gone')).toBe(true);
    expect(await queue.removeJobScheduler('gone')).toBe(false);
    expect(await scope.redis.exists(key(job!.id!), key('repeat:gone'))).toBe(0);
    expect(await scope.redis.zcard(key('repeat'))).toBe(0);
    expect(await scope.redis.zcard(key('delayed'))).toBe(0);
    const events = await streamEvents(scope.redis, name);
    expect(events[events.length - 1]).toEqual({ event: 'removed', jobId: job!.id, prev: 'delayed' });
    expect(await queue.getJobScheduler('gone')).toBeUndefined();
  });

  it('a waiting iteration of a removed scheduler still runs once and creates no successor', async () => {
    const job = await queue.upsertJobScheduler('orphan', { every: 200 });
    expect(await queue.removeJobScheduler('orphan')).toBe(true);
    expect(await scope.redis.lrange(key('wait'), 0, -1)).toEqual([job!.id]);
    const seen: Job[] = [];
    const w = worker(scope, name, seen);
    await times(w, 'completed', 1, 10000);
    await w.close();
    expect(seen.map((j) => j.id)).toEqual([job!.id]);
    expect(await scope.redis.zcard(key('delayed'))).toBe(0);
    expect(await scope.redis.exists(key('repeat'), key('repeat:orphan'))).toBe(0);
  });

  it('listing: by next time (latest first, or ascending), paged, counted, in BullMQ shape', async () => {
    const now = Date.now();
    await queue.upsertJobScheduler(
      'a',
      { every: 1000, startDate: now + 10_000 },
      { name: 'A', data: [1], opts: { priority: 3, keepLogs: 2 } },
    );
    await queue.upsertJobScheduler('b', { every: 2000, startDate: now + 20_000, limit: 4, tz: 'UTC' });
    await queue.upsertJobScheduler('c', { pattern: '0 0 1 1 *', tz: 'Europe/Paris', endDate: now + 400 * 86_400_000 });
    expect(await queue.getJobSchedulersCount()).toBe(3);
    const desc = await queue.getJobSchedulers();
    expect(desc.map((s) => s.key)).toEqual(['c', 'b', 'a']);
    expect((await queue.getJobSchedulers(0, -1, true)).map((s) => s.key)).toEqual(['a', 'b', 'c']);
    expect((await queue.getJobSchedulers(1, 1)).map((s) => s.key)).toEqual(['b']);
    expect((await queue.getJobSchedulers(1, 2, true)).map((s) => s.key)).toEqual(['b', 'c']);

    expect(await queue.getJobScheduler('a')).toEqual({
      key: 'a',
      name: 'A',
      next: now + 10_000,
      iterationCount: 1,
      startDate: now + 10_000,
      every: 1000,
      offset: (now + 10_000) % 1000,
      template: { data: [1], opts: { priority: 3, keepLogs: 2 } },
    });
    expect(desc[1]).toEqual({
      key: 'b',
      name: 'b',
      next: now + 20_000,
      iterationCount: 1,
      limit: 4,
      startDate: now + 20_000,
      tz: 'UTC',
      every: 2000,
      offset: (now + 20_000) % 2000,
    });
    expect(desc[0]).toEqual({
      key: 'c',
      name: 'c',
      next: nextCronTime('0 0 1 1 *', 'Europe/Paris', now),
      iterationCount: 1,
      endDate: now + 400 * 86_400_000,
      tz: 'Europe/Paris',
      pattern: '0 0 1 1 *',
      offset: 0,
    });
    // a template priority is honoured by the iteration
    expect(await scope.redis.hget(key(`repeat:a:${now + 10_000}`), 'priority')).toBe('3');
  });

  it("the queue's default job options go into the template", async () => {
    const q = scope.track(
      new Queue(name, { connection: connection(), defaultJobOptions: { attempts: 4, removeOnComplete: 3, delay: 100 } }),
    );
    const job = await q.upsertJobScheduler('defaults', { every: 60_000, offset: 0 }, { opts: { attempts: 2 } });
    expect(await scope.redis.hget(key('repeat:defaults'), 'opts')).toBe('{"attempts":2,"removeOnComplete":3}');
    expect(job!.opts).toMatchObject({ attempts: 2, removeOnComplete: 3, repeat: { every: 60_000, offset: 0, count: 1 } });
    expect(job!.delay).toBeGreaterThan(0);
  });

  it('the stalled checker never fails a live scheduler iteration, but does fail an orphaned one', async () => {
    const live = await queue.upsertJobScheduler('live', { every: 60_000 });
    const orphan = await queue.upsertJobScheduler('dead', { every: 60_000 });
    await queue.removeJobScheduler('dead');
    const r = scope.redis;
    // both taken by a worker that died: in active, in the stalled set, no lock, stalled once before
    for (const id of [live!.id!, orphan!.id!]) {
      await r.lrem(key('wait'), 0, id);
      await r.lpush(key('active'), id);
      await r.sadd(key('stalled'), id);
      await r.hset(key(id), 'stc', 1);
    }
    const checker = scope.track(new Worker(name, null, { connection: connection(), maxStalledCount: 1 }));
    const recovered = await checker.checkStalled();
    expect(recovered.sort()).toEqual([live!.id, orphan!.id].sort());
    expect(await r.hget(key(live!.id!), 'defa')).toBeNull();
    expect(await r.hget(key(orphan!.id!), 'defa')).toBe('job stalled more than allowable limit');
  });
});
