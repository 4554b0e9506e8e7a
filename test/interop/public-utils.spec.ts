// The helpers and constants bullmq 6.7 exports that applications use, next to bullmq's own: same
// answers for the same input, and the differences named (bad input bullmq throws on, glob
// characters in removeAllQueueData, an already aborted delay).
import * as bull from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import {
  CONNECTION_CLOSED_ERROR_MSG,
  ConnectionClosedError,
  ConveyorConnectionError,
  DELAYED_ERROR,
  DelayedError,
  ErrorCode,
  RATE_LIMIT_ERROR,
  RateLimitError,
  UNRECOVERABLE_ERROR,
  UnrecoverableError,
  WAITING_CHILDREN_ERROR,
  WAITING_ERROR,
  WaitingChildrenError,
  WaitingError,
  delay,
  getParentKey,
  isNotConnectionError,
  isRedisCluster,
  isRedisInstance,
  lengthInUtf8Bytes,
  randomUUID,
  removeAllQueueData,
} from '../../lib/index.js';
import { connection, rawClient, uniqueName } from '../support/redis.js';
import { within } from '../support/wait.js';

describe("bullmq's exported constants and error classes", () => {
  it('the error-name constants, and the default messages and names of the errors', () => {
    expect({
      DELAYED_ERROR,
      WAITING_ERROR,
      WAITING_CHILDREN_ERROR,
      RATE_LIMIT_ERROR,
      UNRECOVERABLE_ERROR,
      CONNECTION_CLOSED_ERROR_MSG,
    }).toEqual({
      DELAYED_ERROR: bull.DELAYED_ERROR,
      WAITING_ERROR: bull.WAITING_ERROR,
      WAITING_CHILDREN_ERROR: bull.WAITING_CHILDREN_ERROR,
      RATE_LIMIT_ERROR: bull.RATE_LIMIT_ERROR,
      UNRECOVERABLE_ERROR: bull.UNRECOVERABLE_ERROR,
      CONNECTION_CLOSED_ERROR_MSG: bull.CONNECTION_CLOSED_ERROR_MSG,
    });
    const pairs = [
      [new DelayedError(), new bull.DelayedError()],
      [new WaitingError(), new bull.WaitingError()],
      [new WaitingChildrenError(), new bull.WaitingChildrenError()],
      [new RateLimitError(), new bull.RateLimitError()],
      [new UnrecoverableError(), new bull.UnrecoverableError()],
      [new UnrecoverableError('why'), new bull.UnrecoverableError('why')],
      [new ConnectionClosedError(), new bull.ConnectionClosedError()],
      [new ConnectionClosedError('gone', 'the cause'), new bull.ConnectionClosedError('gone', 'the cause')],
    ] as const;
    for (const [ours, theirs] of pairs) {
      expect({ name: ours.name, message: ours.message, keys: Object.keys(ours), cause: ours.cause }).toEqual({
        name: theirs.name,
        message: theirs.message,
        keys: Object.keys(theirs),
        cause: theirs.cause,
      });
      expect(ours).toBeInstanceOf(Error);
    }
  });

  it('ErrorCode maps names to codes and codes back to names', () => {
    expect({ ...ErrorCode }).toEqual({ ...bull.ErrorCode });
    expect(ErrorCode[-1]).toBe('JobNotExist');
    expect(Object.keys(ErrorCode)).toEqual(Object.keys(bull.ErrorCode));
  });

  it("ConnectionClosedError also recognises ioredis' closed-connection errors, which Conveyor passes on", async () => {
    const client = new Redis({ ...connection(), lazyConnect: true });
    client.disconnect();
    const err = await client.get('x').catch((e: unknown) => e);
    expect((err as Error).message).toBe(CONNECTION_CLOSED_ERROR_MSG);
    expect(err).toBeInstanceOf(ConnectionClosedError);
    expect(new Error('other')).not.toBeInstanceOf(ConnectionClosedError);
    class Narrower extends ConnectionClosedError {}
    expect(new Narrower()).toBeInstanceOf(ConnectionClosedError);
    expect(err).not.toBeInstanceOf(Narrower);
    expect(new ConnectionClosedError()).not.toBeInstanceOf(Narrower);
  });
});

describe("bullmq's exported helpers", () => {
  it('isNotConnectionError answers as bullmq', () => {
    const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
    const errors = [
      new Error('x'),
      new Error(CONNECTION_CLOSED_ERROR_MSG),
      new Error(`${CONNECTION_CLOSED_ERROR_MSG} and more`),
      new Error('connect ECONNREFUSED 127.0.0.1:1'),
      withCode('x', 'ECONNREFUSED'),
      withCode('x', 'ETIMEDOUT'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('x', { cause: new bull.ConnectionClosedError() }),
      Object.assign(new Error('x'), { name: 'ConnectionClosedError' }),
      { message: CONNECTION_CLOSED_ERROR_MSG } as Error,
      { message: 'x' } as Error,
    ];
    for (const err of errors) expect([err.message, isNotConnectionError(err)]).toEqual([err.message, bull.isNotConnectionError(err)]);
    expect([isNotConnectionError(new ConnectionClosedError()), bull.isNotConnectionError(new bull.ConnectionClosedError())]).toEqual([
      false,
      false,
    ]);
    // Conveyor's own "Redis is unreachable" error counts as a connection error
    expect(isNotConnectionError(new ConveyorConnectionError('Redis at 127.0.0.1:1 is unreachable'))).toBe(false);
    // input bullmq throws on reads as "not a connection error"
    expect(isNotConnectionError(null as never)).toBe(true);
    expect(() => bull.isNotConnectionError(null as never)).toThrow(TypeError);
  });

  it('lengthInUtf8Bytes, getParentKey and randomUUID answer as bullmq', () => {
    for (const s of ['', 'a', 'é', '€', '😀', 'a\u0000b', '\ud800', 'x\udc00y', 'मनीष', 'x'.repeat(1000)]) {
      expect(lengthInUtf8Bytes(s)).toBe(bull.lengthInUtf8Bytes(s));
    }
    for (const opts of [{ id: 'x', queue: 'bull:q' }, { id: '', queue: '' }, {}, null, undefined]) {
      expect(getParentKey(opts as never)).toBe(bull.getParentKey(opts as never));
    }
    expect(randomUUID()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('isRedisInstance and isRedisCluster answer as bullmq', () => {
    const plain = new Redis({ ...connection(), lazyConnect: true });
    const cluster = new Cluster([{ port: 1 }], { lazyConnect: true });
    const candidates: unknown[] = [
      null,
      undefined,
      5,
      'a string',
      {},
      { isCluster: true },
      { isCluster: 1 },
      { connect() {}, duplicate() {} },
      { connect: 1, disconnect: 1, duplicate: 1 },
      { connect() {}, disconnect() {}, duplicate() {} },
      plain,
      cluster,
      bull.createIORedisClient(plain),
    ];
    for (const c of candidates) {
      expect([isRedisInstance(c), isRedisCluster(c)]).toEqual([bull.isRedisInstance(c), bull.isRedisCluster(c)]);
    }
    plain.disconnect();
    cluster.disconnect();
  });

  it('delay waits, and an abort ends the wait early without rejecting', async () => {
    const started = Date.now();
    await delay(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);

    // waits of a minute: one that ignored the abort would outlast the test's timeouts by far
    const controller = new AbortController();
    const waiting = delay(60_000, controller);
    setTimeout(() => controller.abort(), 20);
    await expect(within(waiting, 5000, 'delay() after abort')).resolves.toBeUndefined();

    // bullmq's waits the full time for a controller that is already aborted; ours does not
    await within(delay(60_000, controller), 5000, 'delay() with an aborted controller');
  });

  describe('removeAllQueueData', () => {
    const admin = rawClient();
    afterAll(() => admin.quit());

    async function seed(keys: string[]): Promise<void> {
      for (const key of keys) await admin.set(key, '1');
    }

    async function present(pattern: string): Promise<string[]> {
      return (await admin.keys(pattern)).sort();
    }

    it.each([
      ['bullmq', bull.removeAllQueueData],
      ['Conveyor', removeAllQueueData],
    ] as const)("with %s's: the queue's keys go, neighbours stay, and the client is quit", async (_who, remove) => {
      const name = uniqueName('rm');
      await seed([`bull:${name}:a`, `bull:${name}:b:c`, `bull:${name}:{t}`, `bull:${name}`, `bull:${name}x:a`, `other:${name}:a`]);
      const client = new Redis(connection());
      await remove(client, name);
      expect(await present(`*${name}*`)).toEqual([`bull:${name}`, `bull:${name}x:a`, `other:${name}:a`].sort());
      await new Promise<void>((resolve) => (client.status === 'end' ? resolve() : client.once('end', () => resolve())));

      const other = new Redis(connection());
      await remove(other, name, 'other');
      expect(await present(`*${name}*`)).toEqual([`bull:${name}`, `bull:${name}x:a`].sort());
      await admin.del(`bull:${name}`, `bull:${name}x:a`);
    });

    it("takes bullmq's IRedisClient wrapper as well", async () => {
      const name = uniqueName('rm');
      await seed([`bull:${name}:a`, `bull:${name}:b`]);
      await removeAllQueueData(bull.createIORedisClient(new Redis(connection())), name);
      expect(await present(`*${name}*`)).toEqual([]);
    });

    it("glob characters in the name match only themselves (bullmq's deletes other queues' keys)", async () => {
      const tag = uniqueName('rm');
      const name = `${tag}-a*b`;
      const neighbour = `${tag}-aXb`;
      await seed([`bull:${name}:x`, `bull:${neighbour}:x`]);
      await removeAllQueueData(new Redis(connection()), name);
      expect(await present(`bull:${tag}*`)).toEqual([`bull:${neighbour}:x`]);
      await admin.del(`bull:${neighbour}:x`);
    });
  });
});
