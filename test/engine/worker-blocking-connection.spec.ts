// BlockingConnection: the worker's own duplicate connection for BZPOPMIN, driven directly against
// the real Redis (made once however many ask, named for getWorkers, ended at once by close()).
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../lib/engine/connection/connection.js';
import { BlockingConnection, blockingClientName, type BlockingHost } from '../../lib/engine/worker/blocking-connection.js';
import { WorkerState } from '../../lib/engine/worker/context.js';
import { WorkerReporter } from '../../lib/engine/worker/reporter.js';
import { Slots } from '../../lib/engine/worker/slots.js';
import { connection } from '../support/redis.js';
import { Scope } from '../support/scope.js';
import { deferred, until, within } from '../support/wait.js';

describe('BlockingConnection', () => {
  let scope: Scope;
  let command: Redis;
  let made: BlockingConnection[];
  beforeEach(() => {
    scope = new Scope();
    command = new Redis({ ...connection(), lazyConnect: false });
    made = [];
  });
  afterEach(async () => {
    for (const b of made) await b.disconnect();
    command.disconnect();
    await scope.close();
  });

  function blockingFor(overrides: Partial<BlockingHost> = {}) {
    const owner = { closing: undefined as Promise<void> | undefined };
    const errors: unknown[] = [];
    const sleeps: number[] = [];
    const host: BlockingHost = {
      connection: { client: command as unknown as RedisClient, owned: true },
      state: new WorkerState(owner),
      slots: new Slots(() => 1),
      reporter: new WorkerReporter(new EventEmitter(), (err) => errors.push(err)),
      commandClient: async () => command as unknown as RedisClient,
      clientName: () => blockingClientName('bull', 'emails', 'w1'),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...overrides,
    };
    const blocking = new BlockingConnection(host);
    made.push(blocking);
    return { blocking, host, owner, errors, sleeps };
  }

  /** The lines of CLIENT LIST of connections named `name`. */
  async function clientsNamed(name: string): Promise<string[]> {
    return String(await scope.redis.client('LIST'))
      .split('\n')
      .filter((line) => line.includes(`name=${name} `));
  }

  it('is made once however many ask at the same time, under the name BullMQ gives it', async () => {
    const queue = scope.name();
    const name = blockingClientName('bull', queue, 'w1');
    expect(name).toBe(`bull:${Buffer.from(queue).toString('base64')}:w:w1`);
    const { blocking } = blockingFor({ clientName: () => name });
    expect(blocking.client).toBeUndefined();
    const [a, b] = await Promise.all([blocking.ensure(), blocking.ensure()]);
    expect([a, b]).toEqual([true, true]);
    const client = blocking.client!;
    expect(await blocking.up()).toBe(true);
    expect(await blocking.ensure()).toBe(true);
    expect(blocking.client).toBe(client);
    expect(client.status).toBe('ready');
    expect(client).not.toBe(command);
    expect(await clientsNamed(name)).toHaveLength(1);
  });

  it('a worker without a name gets the queue part of the name only', () => {
    expect(blockingClientName('p', 'q', undefined)).toBe(`p:${Buffer.from('q').toString('base64')}`);
    expect(blockingClientName('p', 'q', '')).toBe(`p:${Buffer.from('q').toString('base64')}`);
  });

  it('disconnect() ends a BZPOPMIN in progress at once', async () => {
    const name = scope.name();
    const { blocking } = blockingFor({ clientName: () => blockingClientName('bull', name, undefined) });
    expect(await blocking.up()).toBe(true);
    const popping = blocking.client!.bzpopmin(`bull:${name}:marker`, 30).catch((err: Error) => err);
    const clientName = blockingClientName('bull', name, undefined);
    await until(
      'the BZPOPMIN to block',
      () => clientsNamed(clientName),
      (lines) => lines.some((line) => line.includes('cmd=bzpopmin')),
    );
    await blocking.disconnect();
    const result = await within(popping, 2000, 'the BZPOPMIN after disconnect()');
    expect(result).toBeInstanceOf(Error);
  });

  it('close() beginning while the command connection is not ready yet: no connection is made', async () => {
    // a command connection that never comes: the wait ends when close() says so
    const never = blockingFor({ commandClient: () => new Promise<RedisClient>(() => {}) });
    const up = never.blocking.up();
    never.owner.closing = Promise.resolve();
    never.host.slots.changed.notify();
    expect(await within(up, 1000, 'up() after close began')).toBe(false);
    expect(never.blocking.client).toBeUndefined();
    expect(never.blocking.disconnect()).toBeUndefined();

    // one that comes once close() began
    const ready = deferred<RedisClient>();
    const late = blockingFor({ commandClient: () => ready.promise });
    const ensured = late.blocking.ensure();
    late.owner.closing = Promise.resolve();
    ready.resolve(command as unknown as RedisClient);
    expect(await within(ensured, 1000, 'ensure() after close began')).toBe(false);
    expect(late.blocking.client).toBeUndefined();
  });

  it('a command connection that fails is reported and tried again after a growing pause', async () => {
    let calls = 0;
    const { blocking, errors, sleeps } = blockingFor({
      commandClient: async () => {
        calls += 1;
        if (calls <= 3) throw new Error(`not yet ${calls}`);
        return command as unknown as RedisClient;
      },
    });
    expect(await blocking.ensure()).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['not yet 1', 'not yet 2', 'not yet 3']);
    expect(sleeps).toEqual([50, 100, 200]);
    expect(blocking.client).toBeDefined();
  });
});
