// QueueEvents keeps its place across connection loss and Redis errors: entries written while it was
// away are delivered once and in order, errors are retried with a capped backoff, close() is prompt.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { QueueEvents } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { blockedReader, recordEmits, until } from './queue-events.support.js';

/** A redis-server of this test's own, for faults that would hit other suites on the shared one. */
class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(port?: number): Promise<PrivateRedis> {
    const redis = new PrivateRedis(port ?? (await freePort()));
    await redis.launch();
    return redis;
  }

  get options(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  async launch(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    this.child = child;
    await until(`redis-server on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
      return answersPing(this.port);
    }, (answers) => answers);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** One PING over a bare socket: an ioredis probe would leave its reconnect and close timers behind. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('QueueEvents reconnect and errors', () => {
  const redis = rawClient();
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  afterAll(async () => {
    await redis.quit();
  });

  function queueName(client: Redis = redis): string {
    const name = uniqueName('qe-re');
    cleanups.push(() => removeQueueKeys(client, name));
    return name;
  }

  function openEvents(name: string, opts: ConstructorParameters<typeof QueueEvents>[1] = {}): QueueEvents {
    const events = new QueueEvents(name, { connection: connection(), ...opts });
    cleanups.push(() => events.close());
    return events;
  }

  /** The stream ids of the entries named `event` that `seen` holds, in order. */
  function idsOf(seen: unknown[][], event: string): string[] {
    return seen.filter(([name]) => name === event).map(([, , id]) => id as string);
  }

  // first: ioredis leaves a 2 s timer behind when a client is cut while reconnecting; the tests
  // after this one outlast it
  it('close() while Redis is unreachable (reconnecting) resolves promptly', async () => {
    const server = await PrivateRedis.start();
    cleanups.push(() => server.stop());
    const name = uniqueName('qe-down');
    const events = new QueueEvents(name, { connection: server.options });
    const errors: Error[] = [];
    events.on('error', (err) => errors.push(err));
    await events.waitUntilReady();
    const closed = once(events, 'ioredis:close');
    await server.stop();
    await closed;
    await until('a refused reconnect', async () => errors.map((e) => e.message), (ms) => ms.some((m) => /ECONNREFUSED/.test(m)));
    const started = Date.now();
    await events.close();
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('resumes after CLIENT KILL ID of its blocking connection: gap entries arrive once, in order', async () => {
    const name = queueName();
    const key = `bull:${name}:events`;
    const events = openEvents(name);
    const closes: unknown[] = [];
    events.on('ioredis:close', () => closes.push(1));
    const seen = recordEmits(events);
    await events.waitUntilReady();
    const written: string[] = [];
    const write = async (n: number) => {
      written.push((await redis.xadd(key, '*', 'event', 'tick', 'n', String(n)))!);
    };

    let n = 0;
    for (let round = 0; round < 3; round++) {
      await write(n++);
      const reader = await blockedReader(redis, name);
      const closed = once(events, 'ioredis:close');
      expect(await redis.client('KILL', 'ID', reader.id)).toBe(1);
      await closed;
      // written while the reader is away
      await write(n++);
      await write(n++);
      await blockedReader(redis, name);
      await write(n++);
    }
    const end = once(events, 'end');
    const endId = await redis.xadd(key, '*', 'event', 'end');
    await end;
    expect(idsOf(seen, 'tick')).toEqual(written);
    expect(seen.filter(([event]) => event === 'tick').map(([, args]) => (args as { n: string }).n)).toEqual(
      written.map((_, i) => String(i)),
    );
    expect(closes).toHaveLength(3);
    expect(events.lastEventId).toBe(endId);
  });

  it('resumes after CLIENT KILL TYPE normal (every client of a private Redis)', async () => {
    const server = await PrivateRedis.start();
    cleanups.push(() => server.stop());
    const producer = new Redis(server.options);
    cleanups.push(() => producer.quit());
    const name = uniqueName('qe-kill');
    const key = `bull:${name}:events`;
    const events = new QueueEvents(name, { connection: server.options });
    cleanups.push(() => events.close());
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
    const server = await PrivateRedis.start();
    cleanups.push(() => server.stop());
    const name = uniqueName('qe-restart');
    const key = `bull:${name}:events`;
    const events = new QueueEvents(name, { connection: server.options });
    cleanups.push(() => events.close());
    events.on('error', () => {}); // ECONNREFUSED while it is down
    await events.waitUntilReady();
    const producer = new Redis({ ...server.options, maxRetriesPerRequest: null });
    producer.on('error', () => {});
    cleanups.push(() => producer.quit());
    const first = once(events, 'before');
    await producer.xadd(key, '*', 'event', 'before');
    await first;
    const closed = once(events, 'ioredis:close');
    await server.stop();
    await closed;
    await server.launch();
    const after = once(events, 'after', 10_000);
    const id = await producer.xadd(key, '*', 'event', 'after');
    expect((await after)[1]).toBe(id);
  });

  it('retries a failing read with a doubling backoff (no tight loop) and recovers', async () => {
    const name = queueName();
    const key = `bull:${name}:events`;
    await redis.set(key, 'not a stream');
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
    await redis.del(key);
    const ok = once(events, 'ok', 5000);
    const id = await redis.xadd(key, '*', 'event', 'ok');
    expect((await ok)[1]).toBe(id);
  });

  it('reports an UNBLOCKED read as an error and keeps reading from where it was', async () => {
    const name = queueName();
    const key = `bull:${name}:events`;
    const events = openEvents(name);
    await events.waitUntilReady();
    const seen = recordEmits(events);
    const first = once(events, 'one');
    const id1 = await redis.xadd(key, '*', 'event', 'one');
    await first;
    const reader = await blockedReader(redis, name);
    const error = once<[Error]>(events, 'error');
    expect(await redis.client('UNBLOCK', reader.id, 'ERROR')).toBe(1);
    const id2 = await redis.xadd(key, '*', 'event', 'two');
    expect((await error)[0].message).toMatch(/UNBLOCKED/);
    const timedOut = await blockedReader(redis, name);
    expect(await redis.client('UNBLOCK', timedOut.id, 'TIMEOUT')).toBe(1);
    const third = once(events, 'three');
    const id3 = await redis.xadd(key, '*', 'event', 'three');
    await third;
    expect(seen.map(([event, , id]) => [event, id])).toEqual([['one', id1], ['two', id2], ['three', id3]]);
  });

  it('caps the retry backoff at 2 s, and close() during a backoff resolves promptly', async () => {
    const name = queueName();
    const key = `bull:${name}:events`;
    await redis.set(key, 'not a stream');
    const events = new QueueEvents(name, { connection: connection(), lastEventId: '0' });
    const stamps: number[] = [];
    events.on('error', () => stamps.push(Date.now()));
    await times(events, 'error', 8, 15_000); // waits of 50, 100, ..., 1600, then 2000 (not 3200)
    const last = stamps[7] - stamps[6];
    expect(last).toBeGreaterThanOrEqual(1998);
    expect(last).toBeLessThan(2600);
    const started = Date.now();
    await events.close(); // during the next 2 s wait
    expect(Date.now() - started).toBeLessThan(500);
  }, 20_000);
});
