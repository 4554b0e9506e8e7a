// Queue.getWorkers / getWorkersCount / getQueueEvents: who is connected to a queue, read from the
// connection names both engines give (CLIENT LIST), so each engine's queue lists the other's too.
import { QueueEvents as BullQueueEvents, Worker as BullWorker, Queue as BullQueue } from 'bullmq';
import { Queue, QueueEvents, Worker } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { adminConnection, connection, rawClient } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

const bullConnection = () => ({ ...adminConnection(), maxRetriesPerRequest: null });
const b64 = (name: string) => Buffer.from(name).toString('base64');

describe('Queue.getWorkers and getQueueEvents', () => {
  const scope = scopePerTest();

  const rawnames = async (queue: { getWorkers(): Promise<Record<string, string>[]> }) =>
    (await queue.getWorkers()).map((w) => w.rawname).sort();

  it('lists each worker of the queue once, named or not, as CLIENT LIST describes it', async () => {
    const queue = scope.queue();
    const plain = scope.track(new Worker(queue.name, async () => {}, { connection: connection() }));
    const named = scope.track(new Worker(queue.name, async () => {}, { connection: connection(), name: 'worker1' }));
    await Promise.all([plain.waitUntilReady(), named.waitUntilReady()]);

    const workers = await queue.getWorkers();
    expect(workers.map((w) => w.rawname).sort()).toEqual([`bull:${b64(queue.name)}`, `bull:${b64(queue.name)}:w:worker1`]);
    for (const w of workers) expect(w).toMatchObject({ id: expect.stringMatching(/^\d+$/), addr: expect.any(String), name: queue.name });
    expect(await queue.getWorkersCount()).toBe(2);

    await named.close();
    expect(await rawnames(queue)).toEqual([`bull:${b64(queue.name)}`]);
    await plain.close();
    expect(await queue.getWorkersCount()).toBe(0);
  });

  it('lists a worker that does not run yet, and one without processor, from construction; "ready" comes once', async () => {
    const queue = scope.queue();
    const lazy = scope.track(new Worker(queue.name, async () => {}, { connection: connection(), autorun: false, name: 'lazy' }));
    const readies: unknown[] = [];
    lazy.on('ready', () => readies.push(1));
    await once(lazy, 'ready');
    expect(await rawnames(queue)).toEqual([`bull:${b64(queue.name)}:w:lazy`]);

    const manual = scope.track(new Worker(queue.name, null, { connection: connection(), name: 'manual' }));
    await manual.waitUntilReady();
    expect(await queue.getWorkersCount()).toBe(2);

    // run() uses the same connection: still two workers, no second 'ready'
    const done = new Promise<void>((resolve) => lazy.on('completed', () => resolve()));
    void lazy.run();
    await queue.add('job', {});
    await done;
    expect(await queue.getWorkersCount()).toBe(2);
    expect(readies).toHaveLength(1);
  });

  it('lists workers that share a connection the user passed (each blocks on a duplicate of its own)', async () => {
    const queue = scope.queue();
    const shared = rawClient();
    scope.track({ close: () => shared.quit() });
    const first = scope.track(new Worker(queue.name, async () => {}, { connection: shared, autorun: false }));
    await first.waitUntilReady();
    expect(await queue.getWorkersCount()).toBe(1);
    const second = scope.track(new Worker(queue.name, async () => {}, { connection: shared }));
    await second.waitUntilReady();
    expect(await queue.getWorkersCount()).toBe(2);
  });

  it('lists only the workers of its own queue and prefix', async () => {
    const queue = scope.queue();
    const other = scope.queue(`${queue.name}2`);
    // writes nothing: an ACL user limited to the bull prefix may run this too
    const prefixed = scope.track(new Queue(queue.name, { connection: connection(), prefix: 'elsewhere', skipMetasUpdate: true }));
    scope.track(new Worker(queue.name, async () => {}, { connection: connection(), autorun: false }));
    const otherWorker = scope.track(new Worker(other.name, async () => {}, { connection: connection(), autorun: false }));
    await otherWorker.waitUntilReady();
    await until(
      'the first worker to be listed',
      () => queue.getWorkersCount(),
      (n) => n === 1,
    );
    expect(await other.getWorkersCount()).toBe(1);
    expect(await prefixed.getWorkersCount()).toBe(0);
  });

  it("lists BullMQ's workers and QueueEvents, and BullMQ lists ours", async () => {
    const queue = scope.queue();
    const bullQueue = scope.track(new BullQueue(queue.name, { connection: bullConnection() }));
    const ours = scope.track(new Worker(queue.name, async () => {}, { connection: connection(), name: 'ours' }));
    const theirs = scope.track(new BullWorker(queue.name, async () => {}, { connection: bullConnection(), name: 'theirs' }));
    await Promise.all([ours.waitUntilReady(), theirs.waitUntilReady()]);
    const expected = [`bull:${b64(queue.name)}:w:ours`, `bull:${b64(queue.name)}:w:theirs`];
    await until(
      'both workers to be listed',
      () => rawnames(queue),
      (names) => names.length === 2,
    );
    expect(await rawnames(queue)).toEqual(expected);
    expect(await rawnames(bullQueue)).toEqual(expected);

    const ourEvents = scope.track(new QueueEvents(queue.name, { connection: connection() }));
    const theirEvents = scope.track(new BullQueueEvents(queue.name, { connection: bullConnection() }));
    await Promise.all([ourEvents.waitUntilReady(), theirEvents.waitUntilReady()]);
    const readers = await until(
      'both QueueEvents to be listed',
      () => queue.getQueueEvents(),
      (list) => list.length === 2,
    );
    expect(readers.map((r) => r.rawname)).toEqual([`bull:${b64(queue.name)}:qe`, `bull:${b64(queue.name)}:qe`]);
    expect(readers.every((r) => r.name === queue.name)).toBe(true);
    expect(await bullQueue.getQueueEvents()).toHaveLength(2);
    // QueueEvents are not workers, nor the other way round
    expect(await queue.getWorkersCount()).toBe(2);
  });

  it('answers as BullMQ on a server without the CLIENT command (Memorystore): one placeholder entry', async () => {
    const server = scope.track(await RedisServer.start({ args: ['--rename-command', 'CLIENT', ''] }));
    const queue = scope.track(new Queue(scope.name(), { connection: { host: '127.0.0.1', port: server.port } }));
    expect(await queue.getWorkers()).toEqual([{ name: 'GCP does not support client list' }]);
    expect(await queue.getWorkersCount()).toBe(1);
    expect(await queue.getQueueEvents()).toEqual([{ name: 'GCP does not support client list' }]);
  });
});
