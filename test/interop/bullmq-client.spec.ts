// `connection` takes what bullmq 6.7's takes: its IRedisClient wrapper around ioredis
// (createIORedisClient) drives the engine like the ioredis client inside it; an IRedisClient over
// another library (bullmq's node-redis adapter) is refused when the object is built, before any
// command.
import { createIORedisClient, createNodeRedisClient } from 'bullmq';
import { Redis } from 'ioredis';
import { ConveyorValidationError, FlowProducer, Queue, QueueEvents, Worker } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { Scope } from '../support/scope.js';

describe("bullmq's IRedisClient as connection", () => {
  it('createIORedisClient(redis) runs queue, worker, events and flows, and stays open after they close', async () => {
    const scope = new Scope('interop');
    const raw = new Redis({ ...connection(), maxRetriesPerRequest: null });
    try {
      await runsOnWrapper(scope, raw);
    } finally {
      await scope.close();
      await raw.quit();
    }
  });

  async function runsOnWrapper(scope: Scope, raw: Redis): Promise<void> {
    const client = createIORedisClient(raw);
    const name = scope.name('irc');
    const queue = scope.track(new Queue(name, { connection: client }));
    const events = scope.track(new QueueEvents(name, { connection: client }));
    const flows = scope.track(new FlowProducer({ connection: client }));
    const worker = scope.track(new Worker(name, async (job) => job.data.n * 2, { connection: client }));
    await events.waitUntilReady();

    const job = await queue.add('double', { n: 21 });
    expect(await job.waitUntilFinished(events, 10_000)).toBe(42);
    const tree = await flows.add({
      name: 'parent',
      queueName: name,
      data: { n: 1 },
      children: [{ name: 'child', queueName: name, data: { n: 2 } }],
    });
    expect(await tree.job.waitUntilFinished(events, 10_000)).toBe(2);
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 3 });

    await worker.close();
    await events.close();
    await flows.close();
    await queue.close();
    // a client the user passed is theirs: closing the queue objects leaves it connected
    expect(raw.status).toBe('ready');
    expect(await client.get('nothing-here')).toBeNull();
  }

  it.each([
    ['Queue', (c: never) => new Queue('refused', { connection: c })],
    ['Worker', (c: never) => new Worker('refused', async () => 1, { connection: c })],
    ['QueueEvents', (c: never) => new QueueEvents('refused', { connection: c })],
    ['FlowProducer', (c: never) => new FlowProducer({ connection: c })],
  ])("%s refuses bullmq's node-redis adapter at construction, before any command", async (_kind, build) => {
    let commands = 0;
    const nodeRedis = {
      isReady: false,
      isOpen: false,
      options: {},
      on() {
        return this;
      },
      connect: async () => {
        commands++;
      },
      sendCommand: async () => {
        commands++;
      },
      destroy() {},
      quit: async () => {},
      duplicate: () => nodeRedis,
    };
    const adapter = createNodeRedisClient(nodeRedis as never);
    await new Promise((resolve) => setImmediate(resolve));
    const before = commands; // the adapter may connect on its own
    expect(() => build(adapter as never)).toThrow(ConveyorValidationError);
    expect(() => build(adapter as never)).toThrow(/connection must be an ioredis client .*node-redis/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(commands).toBe(before);
  });
});
