// maxmemory-policy: a server that may evict keys gets one process warning (code
// CONVEYOR_EVICTION_POLICY) however many queues, workers and listeners connect to it; a noeviction
// server gets none.
import type { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { evictionPolicyChecked } from '../../lib/engine/connection/eviction-policy.js';
import { EVICTION_POLICY_WARNING, Queue, QueueEvents, Worker, type RedisClient } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { uniqueName } from '../support/redis.js';

interface Closable {
  close(): Promise<unknown>;
  waitUntilReady(): Promise<RedisClient>;
}

interface Warning {
  message: string;
  type?: string;
  code?: string;
}

/**
 * Connects three queues, two workers and a QueueEvents (each with a client of its own) and two
 * queues sharing a client the test passes, then resolves with the eviction-policy warnings given
 * once every one of them is ready and the server's check is over.
 *
 * The warnings are taken where the engine hands them to process.emitWarning (passed on unchanged):
 * under Jest the test's `process` is a copy whose 'warning' listeners Node never calls.
 */
async function warningsFor(port: number): Promise<Warning[]> {
  const warnings: Warning[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, options?: { type?: string; code?: string }) => {
    if (options?.code === EVICTION_POLICY_WARNING) warnings.push({ message: String(warning), ...options });
    return (emitWarning as (w: string | Error, o?: object) => void).call(process, warning, options);
  }) as typeof process.emitWarning;
  const connection = { host: '127.0.0.1', port };
  const shared = new Redis({ ...connection, maxRetriesPerRequest: null });
  const name = uniqueName('evict');
  const things: Closable[] = [
    new Queue(name, { connection }),
    new Queue(`${name}-b`, { connection }),
    new Queue(`${name}-c`, { connection }),
    new Worker(name, async () => 1, { connection }),
    new Worker(`${name}-b`, async () => 1, { connection }),
    new QueueEvents(name, { connection }),
    new Queue(`${name}-d`, { connection: shared }),
    new Queue(`${name}-e`, { connection: shared }),
  ];
  for (const thing of things) (thing as unknown as EventEmitter).on('error', () => {});
  try {
    const clients = await Promise.all(things.map((thing) => thing.waitUntilReady()));
    await Promise.all(clients.map((client) => evictionPolicyChecked(client)));
    return warnings;
  } finally {
    process.emitWarning = emitWarning;
    for (const thing of things.reverse()) await thing.close();
    await shared.quit();
  }
}

describe('maxmemory-policy check', () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('warns once, saying why, when the server may evict keys (allkeys-lru)', async () => {
    const server = await RedisServer.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    servers.push(server);
    const warnings = await warningsFor(server.port);
    expect(warnings).toHaveLength(1);
    const [warning] = warnings;
    expect(warning).toEqual(expect.objectContaining({ type: 'ConveyorWarning', code: 'CONVEYOR_EVICTION_POLICY' }));
    expect(warning.message).toContain(`Redis at 127.0.0.1:${server.port} has maxmemory-policy "allkeys-lru"; Conveyor needs "noeviction".`);
    expect(warning.message).toMatch(/job hashes and queue entries \(jobs lost without a trace\) and job locks/);
    expect(warning.message).toContain('Set `maxmemory-policy noeviction`');
  });

  it('does not warn again for the same server, even for clients made later', async () => {
    const server = await RedisServer.start({ args: ['--maxmemory-policy', 'volatile-lru'] });
    servers.push(server);
    expect(await warningsFor(server.port)).toHaveLength(1);
    expect(await warningsFor(server.port)).toHaveLength(0);
  });

  it('says nothing when the policy is noeviction', async () => {
    const server = await RedisServer.start({ args: ['--maxmemory-policy', 'noeviction'] });
    servers.push(server);
    expect(await warningsFor(server.port)).toHaveLength(0);
  });
});
