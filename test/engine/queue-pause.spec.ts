// Queue#pause / resume / isPaused, at the Redis level (BullMQ 6 rules, wire-format §0.1, §7.9).
import { Worker } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('Queue pause and resume', () => {
  const scope = scopePerTest();

  it('pause sets meta.paused, deletes the marker, keeps jobs in wait, and adds while paused write no marker', async () => {
    const queue = scope.queue();
    const key = (s: string) => `bull:${queue.name}:${s}`;
    const first = await queue.add('before', {});
    expect(await scope.redis.zrange(key('marker'), 0, -1, 'WITHSCORES')).toEqual(['0', '0']);
    const paused = once(queue, 'paused');
    await queue.pause();
    await paused;
    expect(await queue.isPaused()).toBe(true);
    expect(await scope.redis.hget(key('meta'), 'paused')).toBe('1');
    expect(await scope.redis.exists(key('marker'))).toBe(0);
    expect(await scope.redis.exists(key('paused'))).toBe(0);

    const second = await queue.add('while-paused', {});
    const third = await queue.add('prioritized-while-paused', {}, { priority: 3 });
    expect(await scope.redis.lrange(key('wait'), 0, -1)).toEqual([second.id, first.id]);
    expect(await scope.redis.zrange(key('prioritized'), 0, -1)).toEqual([third.id]);
    expect(await scope.redis.exists(key('marker'))).toBe(0);
    expect(await queue.getJobCounts('waiting', 'prioritized', 'paused')).toEqual({ waiting: 2, prioritized: 1, paused: 0 });
    const events = await streamEvents(scope.redis, queue.name);
    expect(events.map((e) => e.event)).toEqual(['added', 'waiting', 'paused', 'added', 'waiting', 'added', 'waiting']);
  });

  it('resume removes the flag, writes the base marker when jobs are ready, emits resumed, and a worker runs them', async () => {
    const queue = scope.queue();
    const key = (s: string) => `bull:${queue.name}:${s}`;
    await queue.pause();
    const job = await queue.add('held', { n: 1 });
    const resumed = once(queue, 'resumed');
    await queue.resume();
    await resumed;
    expect(await queue.isPaused()).toBe(false);
    expect(await scope.redis.hexists(key('meta'), 'paused')).toBe(0);
    expect(await scope.redis.zrange(key('marker'), 0, -1, 'WITHSCORES')).toEqual(['0', '0']);
    const events = await streamEvents(scope.redis, queue.name);
    expect(events.at(-1)).toEqual({ event: 'resumed' });

    const worker = scope.track(new Worker(queue.name, async (j) => j.data.n, { connection: connection() }));
    const [done] = await once(worker, 'completed', 5000);
    expect(done.id).toBe(job.id);
  });

  it('resume writes a delay marker when only delayed jobs exist, and no marker for an empty queue', async () => {
    const queue = scope.queue();
    const empty = scope.queue();
    const delayed = await queue.add('later', {}, { delay: 60_000 });
    await queue.pause();
    await queue.resume();
    const due = Math.floor(Number(await scope.redis.zscore(`bull:${queue.name}:delayed`, delayed.id!)) / 4096);
    expect(await scope.redis.zrange(`bull:${queue.name}:marker`, 0, -1, 'WITHSCORES')).toEqual(['1', String(due)]);

    await empty.pause();
    await empty.resume();
    expect(await scope.redis.exists(`bull:${empty.name}:marker`)).toBe(0);
  });

  it('resume moves a legacy v5 paused list into wait (appended at the running end), or renames it when wait is empty', async () => {
    const withWait = scope.queue();
    const job = await withWait.add('v6', {});
    await withWait.pause();
    await scope.redis.rpush(`bull:${withWait.name}:paused`, 'L1', 'L2');
    await withWait.resume();
    expect(await scope.redis.lrange(`bull:${withWait.name}:wait`, 0, -1)).toEqual([job.id, 'L1', 'L2']);
    expect(await scope.redis.exists(`bull:${withWait.name}:paused`)).toBe(0);

    const onlyLegacy = scope.queue();
    await onlyLegacy.pause();
    await scope.redis.rpush(`bull:${onlyLegacy.name}:paused`, 'L1', 'L2');
    await onlyLegacy.resume();
    expect(await scope.redis.lrange(`bull:${onlyLegacy.name}:wait`, 0, -1)).toEqual(['L1', 'L2']);
    expect(await scope.redis.exists(`bull:${onlyLegacy.name}:paused`)).toBe(0);
  });

  it('resume moves a long legacy list over several calls, keeping its order, and emits resumed once', async () => {
    const queue = scope.queue();
    const first = await queue.add('v6', {});
    await queue.pause();
    const legacy = Array.from({ length: 15_000 }, (_, i) => `L${i}`);
    for (let i = 0; i < legacy.length; i += 5000) await scope.redis.rpush(`bull:${queue.name}:paused`, ...legacy.slice(i, i + 5000));
    await queue.resume();
    const wait = await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1);
    expect(wait).toEqual([first.id, ...legacy]);
    const events = await streamEvents(scope.redis, queue.name);
    expect(events.filter((e) => e.event === 'resumed')).toHaveLength(1);
  });
});
