// An add whose reply is lost with its connection: Redis ran it, the producer never heard back,
// and ioredis sends it again after reconnecting. It must stay one job, and the add must resolve
// with that job's id. A proxy between the producer and Redis loses exactly that reply.
import net from 'node:net';
import { Queue } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { Scope } from '../support/scope.js';
import { until } from '../support/wait.js';

/**
 * Forwards to Redis; armed, it swallows the reply to the next EVALSHA/EVAL (whose request matches
 * `pattern`) and drops the client.
 */
class ReplyLosingProxy {
  readonly server = net.createServer((client) => this.accept(client));
  private armed = false;
  private pattern = /\b(evalsha|eval)\b/i;
  lost = 0;
  connections = 0;

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  arm(pattern = /\b(evalsha|eval)\b/i): void {
    this.pattern = pattern;
    this.armed = true;
  }

  private accept(client: net.Socket): void {
    this.connections += 1;
    const { host, port } = connection();
    const upstream = net.connect(port, host);
    let cutNextReply = false;
    client.on('data', (chunk) => {
      if (this.armed && this.pattern.test(chunk.toString('latin1'))) {
        this.armed = false;
        cutNextReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (cutNextReply) {
        // Redis has run the script; its reply goes nowhere and the producer's connection dies
        this.lost += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('an add resent after its reply was lost', () => {
  let scope: Scope;
  let proxy: ReplyLosingProxy;
  beforeEach(async () => {
    scope = new Scope();
    proxy = new ReplyLosingProxy();
  });
  afterEach(async () => {
    await scope.close();
    await proxy.close();
  });

  const through = async () => ({ ...connection(), port: await proxy.listen() });

  it.each([
    ['add without a jobId', (q: Queue) => q.add('once', { n: 1 }).then((j) => [j.id!])],
    ['add with a jobId', (q: Queue) => q.add('once', { n: 1 }, { jobId: 'mine' }).then((j) => [j.id!])],
    [
      'addBulk',
      (q: Queue) =>
        q
          .addBulk([
            { name: 'a', data: {} },
            { name: 'b', data: {} },
            { name: 'c', data: {} },
          ])
          .then((js) => js.map((j) => j.id!)),
    ],
  ])('%s: one job per add, and the add resolves with its id', async (_label, add) => {
    const queue = scope.track(new Queue(scope.name('resend'), { connection: await through() }));
    queue.on('error', () => {});
    await queue.add('warm-up', {}); // the script is cached and the connection is up
    const base = `bull:${queue.name}:`;
    const before = await scope.redis.llen(`${base}wait`);

    proxy.arm();
    const ids = await add(queue);
    expect(proxy.lost).toBe(1);
    expect(proxy.connections).toBeGreaterThanOrEqual(2);

    const waiting = await until(
      'the added jobs in wait',
      () => scope.redis.lrange(`${base}wait`, 0, -1),
      (w) => w.length >= before + ids.length,
    );
    expect(waiting.length).toBe(before + ids.length);
    expect(waiting.slice(0, ids.length).reverse()).toEqual(ids);
    for (const id of ids) expect(await scope.redis.exists(`${base}${id}`)).toBe(1);
    // the second run found the jobs in place: 'duplicated', not a second 'added'
    const events = (await scope.redis.xrange(`${base}events`, '-', '+')).map(([, f]) => `${f[1]} ${f[3]}`);
    for (const id of ids) {
      expect(events.filter((e) => e === `added ${id}`)).toHaveLength(1);
      expect(events.filter((e) => e === `duplicated ${id}`)).toHaveLength(1);
    }
  });

  it('a batch of single adds (add-batcher.ts): one job per add, and every add resolves with its id', async () => {
    const queue = scope.track(new Queue(scope.name('resend'), { connection: await through() }));
    queue.on('error', () => {});
    await queue.add('warm-up', {});
    const base = `bull:${queue.name}:`;
    // the batch's call, not the lone add that goes first: only a batch carries "each"
    proxy.arm(/\beach\b/);
    const jobs = await Promise.all(Array.from({ length: 20 }, (_, i) => queue.add('burst', { i })));
    expect(proxy.lost).toBe(1);
    const ids = jobs.map((j) => j.id!);
    expect(new Set(ids).size).toBe(20);
    const waiting = (await scope.redis.lrange(`${base}wait`, 0, -1)).reverse();
    expect(waiting).toEqual([expect.any(String), ...ids]);
    jobs.forEach((job, i) => expect(job.data).toEqual({ i }));
    const events = (await scope.redis.xrange(`${base}events`, '-', '+')).map(([, f]) => `${f[1]} ${f[3]}`);
    for (const id of ids) expect(events.filter((e) => e === `added ${id}`)).toHaveLength(1);
    // the batch ran twice: its jobs were found in place the second time
    for (const id of ids.slice(1)) expect(events.filter((e) => e === `duplicated ${id}`)).toHaveLength(1);
  });
});
