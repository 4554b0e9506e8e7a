// QueueEvents keeps its place across connection loss and Redis errors: entries written while it was
// away are delivered once and in order, errors are retried with a capped backoff, close() is prompt.
import { Redis } from 'ioredis';
import { QueueEvents } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once, times } from '../support/events.js';
import { connection, uniqueName } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until, within } from '../support/wait.js';
import { blockedReader, recordEmits } from './queue-events.support.js';

describe('QueueEvents reconnect and errors', () => {
  const scope = scopePerTest('qe-re');

  function openEvents(name: string, opts: ConstructorParameters<typeof QueueEvents>[1] = {}): QueueEvents {
    return scope.track(new QueueEvents(name, { connection: connection(), ...opts }));
  }

  /** A redis-server of this test's own, for faults that would hit other suites on the shared one. */
  async function privateRedis(): Promise<{ server: RedisServer; options: { host: string; port: number } }> {
    const server = scope.track(await RedisServer.start());
    return { server, options: { host: '127.0.0.1', port: server.port } };
  }

  /** The stream ids of the entries named `event` that `seen` holds, in order. */
  function idsOf(seen: unknown[][], event: string): string[] {
    return seen.filter(([name]) => name === event).map(([, , id]) => id as string);
  }

  // first: ioredis leaves a 2 s timer behind when a client is cut while reconnecting; the tests
  // after this one outlast it
  it('close() while Redis is unreachable (reconnecting) resolves promptly', async () => {
    const { server, options } = await privateRedis();
    const events = new QueueEvents(uniqueName('qe-down'), { connection: options });
    const errors: Error[] = [];
    events.on('error', (err) => errors.push(err));
    await events.waitUntilReady();
    const closed = once(events, 'ioredis:close');
    await server.kill();
    await closed;
    await until(
      'a refused reconnect',
      async () => errors.map((e) => e.message),
      (ms) => ms.some((m) => /ECONNREFUSED/.test(m)),
    );
    // a close() that waited for the connection would wait for good: the reader retries without limit
    await within(events.close(), 5000, 'close() of a QueueEvents whose Redis is gone');
  });

  it('resumes after CLIENT KILL ID of its blocking connection: gap entries arrive once, in order', async () => {
    const name = scope.name();
    const key = `bull:${name}:events`;
    const events = openEvents(name);
    const closes: unknown[] = [];
    events.on('ioredis:close', () => closes.push(1));
    const seen = recordEmits(events);
    await events.waitUntilReady();
    const written: string[] = [];
    const write = async (n: number) => {
      written.push((await scope.redis.xadd(key, '*', 'event', 'tick', 'n', String(n)))!);
    };

    let n = 0;
    for (let round = 0; round < 3; round++) {
      await write(n++);
      const reader = await blockedReader(scope.redis, name);
      const closed = once(events, 'ioredis:close');
      expect(await scope.redis.client('KILL', 'ID', reader.id)).toBe(1);
      await closed;
      // written while the reader is away
      await write(n++);
      await write(n++);
      await blockedReader(scope.redis, name);
      await write(n++);
    }
    const end = once(events, 'end');
    const endId = await scope.redis.xadd(key, '*', 'event', 'end');
    await end;
    expect(idsOf(seen, 'tick')).toEqual(written);
    expect(seen.filter(([event]) => event === 'tick').map(([, args]) => (args as { n: string }).n)).toEqual(
      written.map((_, i) => String(i)),
    );
    expect(closes).toHaveLength(3);
    expect(events.lastEventId).toBe(endId);
  });

  it('resumes after CLIENT KILL TYPE normal (every client of a private Redis)', async () => {
    const { options } = await privateRedis();
    const producer = new Redis(options);
    scope.onClose(() => producer.quit());
    const name = uniqueName('qe-kill');
    const key = `bull:${name}:events`;
    const events = scope.track(new QueueEvents(name, { connection: options }));
    const seen = recordEmits(events);
    await events.waitUntilReady();
    const written: string[] = [];
    const write = async (n: number) => {
      written.push((await producer.xadd(key, '*', 'event', 'tick', 'n', String(n)))!);
    };
    for (let round = 0; round < 3; round++) {
      const before = once(events, 'tick', 5000, (args) => args.n === String(round * 3));
      await write(round * 3);
      await before;
      await blockedReader(producer, name);
      const closed = once(events, 'ioredis:close');
      // SKIPME yes (the default) spares the producer: it writes the gap entries at once
      const killed = Number(await producer.client('KILL', 'TYPE', 'normal'));
      expect(killed).toBeGreaterThanOrEqual(2); // the blocking reader and the command connection
      await write(round * 3 + 1);
      await write(round * 3 + 2);
      await closed;
    }
    const end = once(events, 'end');
    await producer.xadd(key, '*', 'event', 'end');
    await end;
    expect(idsOf(seen, 'tick')).toEqual(written);
    // the command connection came back too
    await expect(events.waitUntilReady()).resolves.toBeDefined();
  });

  it('goes on after Redis restarts (persistence off: a new stream, ids still increase)', async () => {
    const { server, options } = await privateRedis();
    const name = uniqueName('qe-restart');
    const key = `bull:${name}:events`;
    const events = scope.track(new QueueEvents(name, { connection: options }));
    events.on('error', () => {}); // ECONNREFUSED while it is down
    await events.waitUntilReady();
    const producer = new Redis({ ...options, maxRetriesPerRequest: null });
    producer.on('error', () => {});
    scope.onClose(() => producer.quit());
    const first = once(events, 'before');
    await producer.xadd(key, '*', 'event', 'before');
    await first;
    const closed = once(events, 'ioredis:close');
    await server.kill();
    await closed;
    await server.start();
    const after = once(events, 'after', 10_000);
    const id = await producer.xadd(key, '*', 'event', 'after');
    expect((await after)[1]).toBe(id);
  });

  it('retries a failing read with a doubling backoff (no tight loop) and recovers', async () => {
    const name = scope.name();
    const key = `bull:${name}:events`;
    await scope.redis.set(key, 'not a stream');
    const events = openEvents(name, { lastEventId: '0' });
    const stamps: number[] = [];
    const errors = times<[Error]>(events, 'error', 5, 10_000);
    events.on('error', () => stamps.push(Date.now()));
    const reported = await errors;
    expect(reported[0][0].message).toMatch(/WRONGTYPE/);
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
    // the waits double from 50 ms (a timer may fire a millisecond early; a busy machine makes them longer)
    const nominal = [50, 100, 200, 400];
    expect(gaps.map((gap, i) => gap >= nominal[i] - 2)).toEqual([true, true, true, true]);
    await scope.redis.del(key);
    const ok = once(events, 'ok', 5000);
    const id = await scope.redis.xadd(key, '*', 'event', 'ok');
    expect((await ok)[1]).toBe(id);
  });

  it('reports an UNBLOCKED read as an error and keeps reading from where it was', async () => {
    const name = scope.name();
    const key = `bull:${name}:events`;
    const events = openEvents(name);
    await events.waitUntilReady();
    const seen = recordEmits(events);
    const first = once(events, 'one');
    const id1 = await scope.redis.xadd(key, '*', 'event', 'one');
    await first;
    const reader = await blockedReader(scope.redis, name);
    const error = once<[Error]>(events, 'error');
    expect(await scope.redis.client('UNBLOCK', reader.id, 'ERROR')).toBe(1);
    const id2 = await scope.redis.xadd(key, '*', 'event', 'two');
    expect((await error)[0].message).toMatch(/UNBLOCKED/);
    const timedOut = await blockedReader(scope.redis, name);
    expect(await scope.redis.client('UNBLOCK', timedOut.id, 'TIMEOUT')).toBe(1);
    const third = once(events, 'three');
    const id3 = await scope.redis.xadd(key, '*', 'event', 'three');
    await third;
    expect(seen.map(([event, , id]) => [event, id])).toEqual([
      ['one', id1],
      ['two', id2],
      ['three', id3],
    ]);
  });

  it('caps the retry backoff at 2 s, and close() during a backoff resolves promptly', async () => {
    const name = scope.name();
    const key = `bull:${name}:events`;
    await scope.redis.set(key, 'not a stream');
    const events = openEvents(name, { lastEventId: '0' });
    const stamps: number[] = [];
    events.on('error', () => stamps.push(Date.now()));
    await times(events, 'error', 8, 15_000); // waits of 50, 100, ..., 1600, then 2000 (not 3200)
    const last = stamps[7] - stamps[6];
    expect(last).toBeGreaterThanOrEqual(1998);
    // capped: the 8th error came before the uncapped wait (3200 ms) would have ended
    expect(last).toBeLessThan(3200);
    await events.close(); // during the next 2 s wait
    // the wait was cut short: close() resolved before that wait would have ended
    expect(Date.now()).toBeLessThan(stamps[7] + 2000);
  }, 20_000);
});
