// The reclaim (reclaim.ts, findJobsLockedBy.lua, reclaimJobs.lua): jobs a fetch gave this worker in
// a reply it never read are handed back after a reconnect; jobs it holds, jobs whose reply is still
// coming, and jobs activated again since the scan are left alone. Driven directly against the real
// Redis; the end-to-end cases (a reply really lost on the wire) are in faults-lost-fetch.spec.ts.
import { Redis } from 'ioredis';
import type { RedisClient } from '../../lib/engine/connection/connection.js';
import { runScript } from '../../lib/engine/core/scripts.js';
import { FetchesInFlight, RECLAIM_RETRIES, Reclaimer, watchConnection } from '../../lib/engine/worker/reclaim.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until, within } from '../support/wait.js';
import { closedConnection, holdJobs, partsFixture, takeJobs, type PartsFixture } from './worker-parts-support.js';

/** A turn of the event loop. */
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** Redis refusing a call while it loads its data (a refusal: retried, not counted as a try). */
const loading = () => Object.assign(new Error('LOADING Redis is loading the dataset in memory'), { name: 'ReplyError' });

describe('reclaim scripts', () => {
  const scope = scopePerTest();

  async function fixture() {
    const fx = await partsFixture(scope);
    const key = (suffix: string) => `bull:${fx.name}:${suffix}`;
    const find = (prefix: string) => runScript(fx.client, 'findJobsLockedBy', [key('active')], [key(''), prefix]) as Promise<string[]>;
    const reclaim = (...triples: string[]) =>
      runScript(fx.client, 'reclaimJobs', [key('active')], [key(''), ...triples]) as Promise<string[]>;
    return { fx, key, find, reclaim };
  }

  it("findJobsLockedBy lists the active jobs locked with the worker's tokens (id, token, ats), newest first", async () => {
    const { fx, find } = await fixture();
    await fx.queue.addBulk(['a', 'b', 'c', 'd'].map((name) => ({ name, data: {} })));
    const [a, b] = await takeJobs(fx, 2, 'w1:1');
    const [c] = await takeJobs(fx, 1, 'w10:1');
    const [d] = await takeJobs(fx, 1, 'w1:7');
    expect(c).toBeDefined();
    expect(await find('w1:')).toEqual([d.id, 'w1:7', '1', b.id, 'w1:1', '1', a.id, 'w1:1', '1']);
    expect(await find('w2:')).toEqual([]);
  });

  it('reclaimJobs hands back in front of the queue, in the order taken, without counting an attempt or a stall', async () => {
    const { fx, key, find, reclaim } = await fixture();
    await fx.queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const [a, b] = await takeJobs(fx, 2, 'w1:1');
    await scope.redis.sadd(key('stalled'), a.id!);
    await scope.redis.del(key('marker'));
    expect(await reclaim(...(await find('w1:')))).toEqual([b.id, a.id]);

    expect(await scope.redis.llen(key('active'))).toBe(0);
    // a runs next, then b, then c (which was behind them all along)
    expect((await scope.redis.lrange(key('wait'), 0, -1)).reverse()).toEqual([a.id, b.id, '3']);
    for (const job of [a, b]) {
      expect(await scope.redis.exists(key(`${job.id}:lock`))).toBe(0);
      expect(await scope.redis.hmget(key(job.id!), 'ats', 'atm', 'stc')).toEqual(['1', null, null]);
    }
    expect(await scope.redis.smembers(key('stalled'))).toEqual([]);
    expect(await scope.redis.zrange(key('marker'), 0, -1)).toEqual(['0']);
    const events = (await scope.redis.xrange(key('events'), '-', '+')).map(([, f]) => f.join(' '));
    expect(events.slice(-2)).toEqual([`event waiting jobId ${b.id} prev active`, `event waiting jobId ${a.id} prev active`]);
  });

  it('a prioritized job goes in front of its priority; a paused queue gets no marker', async () => {
    const { fx, key, find, reclaim } = await fixture();
    const job = await fx.queue.add('p', {}, { priority: 3 });
    await fx.queue.pause();
    await scope.redis.hdel(key('meta'), 'paused');
    await takeJobs(fx, 1, 'w1:1');
    await fx.queue.pause();
    expect(await reclaim(...(await find('w1:')))).toEqual([job.id]);
    expect(await scope.redis.zrange(key('prioritized'), 0, -1, 'WITHSCORES')).toEqual([job.id, String(3 * 2 ** 32)]);
    expect(await scope.redis.exists(key('marker'))).toBe(0);
  });

  it('moves only a job still in the activation the scan saw: same ats, same token or no lock, still active', async () => {
    const { fx, key, find, reclaim } = await fixture();
    await fx.queue.addBulk(['a', 'b', 'c', 'd'].map((name) => ({ name, data: {} })));
    const [a, b, c, d] = await takeJobs(fx, 4, 'w1:1');
    const seen = await find('w1:');
    // a: activated again since (ats moved on); b: another worker's lock; c: lock expired, still active; d: left active
    await scope.redis.hset(key(a.id!), 'ats', '2');
    await scope.redis.set(key(`${b.id}:lock`), 'w2:1');
    await scope.redis.del(key(`${c.id}:lock`));
    await scope.redis.lrem(key('active'), 1, d.id!);
    expect(await reclaim(...seen)).toEqual([c.id]);
    expect((await scope.redis.lrange(key('active'), 0, -1)).sort()).toEqual([a.id, b.id].sort());
    expect(await scope.redis.get(key(`${b.id}:lock`))).toBe('w2:1');
    expect(await scope.redis.get(key(`${a.id}:lock`))).toBe('w1:1');
  });
});

describe('FetchesInFlight', () => {
  it('settled() waits for the calls begun before it, not for later ones', async () => {
    const fetches = new FetchesInFlight();
    const first = fetches.begin();
    const second = fetches.begin();
    let done = false;
    const settled = fetches.settled().then(() => (done = true));
    const later = fetches.begin();
    fetches.end(first);
    await turn();
    expect(done).toBe(false);
    // `later` is still in flight: the first settled() does not wait for it
    fetches.end(second);
    await within(settled, 100, 'settled() with only a later call in flight');
    let laterDone = false;
    const again = fetches.settled().then(() => (laterDone = true));
    await turn();
    expect(laterDone).toBe(false);
    fetches.end(later);
    await within(again, 100, 'the second settled()');
    await within(fetches.settled(), 100, 'settled() with nothing in flight');
  });

  it('a call that failed without a Redis reply says so; a Redis error reply does not', () => {
    const fetches = new FetchesInFlight();
    const said: number[] = [];
    fetches.onUnreadReply = () => said.push(1);
    const replyError = Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' });
    fetches.end(fetches.begin(), replyError);
    fetches.end(fetches.begin());
    expect(said).toEqual([]);
    fetches.end(fetches.begin(), new Error('Connection is closed.'));
    fetches.end(fetches.begin(), new Error('Command timed out'));
    expect(said).toEqual([1, 1]);
  });
});

describe('watchConnection', () => {
  const scope = scopePerTest();

  it('tells of a drop once and of the reconnect after it; one listener pair however many watch a client', async () => {
    const client = new Redis({ ...connection(), maxRetriesPerRequest: 1 });
    scope.track({ close: async () => client.disconnect() });
    await client.ping();
    const seen: string[] = [];
    const readyListeners = client.listenerCount('ready');
    const stopA = watchConnection(client as unknown as RedisClient, {
      dropped: () => seen.push('a dropped'),
      back: () => seen.push('a back'),
    });
    const stopB = watchConnection(client as unknown as RedisClient, {
      dropped: () => seen.push('b dropped'),
      back: () => seen.push('b back'),
    });
    expect(client.listenerCount('ready')).toBe(readyListeners + 1);
    client.disconnect(true);
    await until(
      'both told of the reconnect',
      () => seen.length,
      (n) => n === 4,
    );
    expect(seen).toEqual(['a dropped', 'b dropped', 'a back', 'b back']);
    stopA();
    await scope.redis.client('KILL', 'ID', String(await client.client('ID')));
    await until(
      'b told again',
      () => seen.length,
      (n) => n === 6,
    );
    expect(seen.slice(4)).toEqual(['b dropped', 'b back']);
    stopB();
  });

  it('a client that never connected lost nothing: no drop', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    const seen: string[] = [];
    watchConnection(client as unknown as RedisClient, { dropped: () => seen.push('dropped'), back: () => seen.push('back') });
    await client.connect().catch(() => {});
    await until(
      'the client to give up',
      () => client.status,
      (s) => s === 'end',
    );
    expect(seen).toEqual([]);
  });
});

describe('Reclaimer', () => {
  const scope = scopePerTest();

  /** Until the job `id` is back in the queue's wait list. */
  const backInWait = (fx: PartsFixture, id: string) =>
    until(
      `${id} back in wait`,
      () => scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1),
      (ids) => ids.includes(id),
    );

  function reclaimerOf(fx: PartsFixture, opts: { lockDuration?: number } = {}) {
    const reclaimer = new Reclaimer({ ...fx.context, opts: { ...fx.context.opts, ...opts }, workerId: 'w1' });
    scope.onClose(() => reclaimer.stop());
    return reclaimer;
  }

  /** A started reclaimer of worker w1, and job a taken with its token w1:1 (a lost reply's job). */
  async function startedWithLostJob() {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.add('a', {});
    const [a] = await takeJobs(fx, 1, 'w1:1');
    const reclaimer = reclaimerOf(fx);
    reclaimer.start();
    return { fx, a, reclaimer };
  }

  /** Until findJobsLockedBy has been called `count` times. */
  const scans = (fx: PartsFixture, count: number) =>
    until(
      `${count} scans`,
      () => fx.scripts.of('findJobsLockedBy').length,
      (n) => n >= count,
    );

  it('hands back what it does not hold; the jobs it holds stay', async () => {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const [a, b] = await takeJobs(fx, 2, 'w1:1');
    holdJobs(fx, [b]);
    expect(await reclaimerOf(fx).pass()).toEqual([a.id]);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([b.id]);
    expect(await scope.redis.get(`bull:${fx.name}:${b.id}:lock`)).toBe('w1:1');
  });

  it('waits for the replies of the fetches in flight when it scanned: a job such a reply brings is not handed back', async () => {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.addBulk(['a', 'b'].map((name) => ({ name, data: {} })));
    // a: the lost reply's job; b: taken by a fetch whose reply has not been handled yet
    const [a] = await takeJobs(fx, 1, 'w1:1');
    const inFlight = fx.context.fetches.begin();
    const [b] = await takeJobs(fx, 1, 'w1:1');
    const pass = reclaimerOf(fx).pass();
    await scans(fx, 1);
    for (let i = 0; i < 5; i++) await turn();
    expect(fx.scripts.of('reclaimJobs')).toEqual([]);
    // the reply comes in: the job is held, then the call counts as settled
    holdJobs(fx, [b]);
    fx.context.fetches.end(inFlight);
    expect(await pass).toEqual([a.id]);
    expect(fx.scripts.of('reclaimJobs')[0].args.slice(1)).toEqual([a.id, 'w1:1', '1']);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([b.id]);
  });

  it('a fetch that never answers: after lockDuration it gives up and moves nothing (the stalled checker has the jobs)', async () => {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.add('a', {});
    await takeJobs(fx, 1, 'w1:1');
    fx.context.fetches.begin();
    expect(await reclaimerOf(fx, { lockDuration: 100 }).pass()).toEqual([]);
    expect(fx.scripts.of('reclaimJobs')).toEqual([]);
  });

  it('after a forced close it moves nothing: BullMQ leaves those jobs in active', async () => {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.add('a', {});
    await takeJobs(fx, 1, 'w1:1');
    fx.context.state.forceClosing = true;
    expect(await reclaimerOf(fx).pass()).toEqual([]);
    expect(fx.scripts.of('reclaimJobs')).toEqual([]);
  });

  it('runs a pass on each reconnect after a drop with a fetch in flight, and none otherwise', async () => {
    const { fx, a, reclaimer } = await startedWithLostJob();
    await fx.queue.add('b', {});
    await turn();
    expect(fx.scripts.of('findJobsLockedBy')).toEqual([]);
    // no fetch in flight: the drop lost no reply
    fx.client.disconnect(true);
    await fx.client.ping();
    await turn();
    expect(fx.scripts.of('findJobsLockedBy')).toEqual([]);
    // a fetch in flight: its reply may be lost; its resend's reply settles it
    const inFlight = fx.context.fetches.begin();
    fx.client.disconnect(true);
    await scans(fx, 1);
    fx.context.fetches.end(inFlight);
    await backInWait(fx, a.id!);
    expect(fx.scripts.of('findJobsLockedBy')).toHaveLength(1);
    await reclaimer.stop();
    // stopped: a reconnect no longer asks
    fx.client.disconnect(true);
    await fx.client.ping();
    await turn();
    expect(fx.scripts.of('findJobsLockedBy')).toHaveLength(1);
  });

  it('a fetch failed without a reply while the connection is up (a timeout) asks for a pass', async () => {
    const { fx, a, reclaimer } = await startedWithLostJob();
    fx.context.fetches.onUnreadReply = () => reclaimer.request(true);
    fx.context.fetches.end(fx.context.fetches.begin(), new Error('Command timed out'));
    await backInWait(fx, a.id!);
  });

  it('stop() during the wait between two tries of a failing pass ends it there: no further call', async () => {
    let stopping: Promise<void> | undefined;
    const fx = await partsFixture(scope, {}, () => (stopping ??= reclaimer.stop()));
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    const reclaimer = reclaimerOf(fx);
    reclaimer.start();
    fx.scripts.fail('findJobsLockedBy', loading, RECLAIM_RETRIES);
    reclaimer.request(true);
    await until('stop() called in the first wait', () => stopping !== undefined, Boolean);
    await stopping;
    expect(fx.delays).toHaveLength(1);
    expect(fx.scripts.of('findJobsLockedBy')).toHaveLength(1);
  });

  it('stop() runs the pass a drop left owed (its pass gave up) when the connection is up, and waits for it', async () => {
    const { fx, a, reclaimer } = await startedWithLostJob();
    fx.scripts.fail('findJobsLockedBy', closedConnection, RECLAIM_RETRIES);
    const inFlight = fx.context.fetches.begin();
    fx.client.disconnect(true);
    await scans(fx, 1);
    fx.context.fetches.end(inFlight);
    await until(
      'the pass to give up',
      () => fx.delays.length,
      (n) => n === RECLAIM_RETRIES - 1,
    );
    await scans(fx, RECLAIM_RETRIES);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([a.id]);
    await reclaimer.stop();
    expect(await scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1)).toEqual([a.id]);
  });

  it('a pass Redis refuses (LOADING, OOM) is tried for the refusal window, past RECLAIM_RETRIES tries', async () => {
    const { fx, a, reclaimer } = await startedWithLostJob();
    fx.scripts.fail('findJobsLockedBy', loading, RECLAIM_RETRIES + 5);
    reclaimer.request(true);
    await backInWait(fx, a.id!);
    expect(fx.scripts.of('findJobsLockedBy')).toHaveLength(RECLAIM_RETRIES + 6);
  });

  it('stop() after a drop that came once the running pass had scanned runs one more pass for it', async () => {
    const fx = await partsFixture(scope);
    fx.scripts.know('findJobsLockedBy', 'reclaimJobs');
    await fx.queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    // a: a lost reply's job; the pass for it waits on a fetch still in flight
    const [a] = await takeJobs(fx, 1, 'w1:1');
    const inFlight = fx.context.fetches.begin();
    const reclaimer = reclaimerOf(fx);
    reclaimer.start();
    reclaimer.request(true);
    await scans(fx, 1);
    // b: another reply lost after that scan, then close() begins
    const [b] = await takeJobs(fx, 1, 'w1:2');
    reclaimer.request(true);
    const stopping = reclaimer.stop();
    fx.context.fetches.end(inFlight);
    await stopping;
    expect(fx.scripts.of('findJobsLockedBy')).toHaveLength(2);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([]);
    // each pass puts its jobs in front: b, handed back last, runs first
    expect((await scope.redis.lrange(`bull:${fx.name}:wait`, 0, -1)).slice(-2)).toEqual([a.id, b.id]);
  });
});
