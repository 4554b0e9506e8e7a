// QueueEventsProducer.publishEvent: custom events in a queue's event stream, emitted by every
// QueueEvents of the queue (BullMQ's too) under their eventName, as BullMQ's producer writes them.
import { QueueEvents as BullQueueEvents, QueueEventsProducer as BullProducer } from 'bullmq';
import { ConveyorValidationError, QueueEvents, QueueEventsProducer, type QueueEventsListener } from '../../lib/index.js';
import { once } from '../support/events.js';
import { adminConnection, connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

const bullConnection = () => ({ ...adminConnection(), maxRetriesPerRequest: null });

interface CustomListener extends QueueEventsListener {
  example: (args: { custom: string; n: string }, id: string) => void;
}

describe('QueueEventsProducer', () => {
  const scope = scopePerTest();

  it("publishes an event both engines' QueueEvents emit, written as bullmq writes it", async () => {
    const name = scope.name();
    const producer = scope.track(new QueueEventsProducer(name, { connection: connection() }));
    // from the stream's start: bullmq's waitUntilReady may resolve before its first read is sent
    const ours = scope.track(new QueueEvents(name, { connection: connection(), lastEventId: '0-0' }));
    const theirs = scope.track(new BullQueueEvents(name, { connection: bullConnection(), lastEventId: '0-0' }));
    await Promise.all([ours.waitUntilReady(), theirs.waitUntilReady()]);
    const got: [string, string][] = [];
    // typed as BullMQ's: a listener map of one's own names custom events
    ours.on<CustomListener>('example', ({ custom, n }: { custom: string; n: string }) => got.push([custom, n]));
    const seenByBull = once(theirs, 'example');
    const seenByUs = once(ours, 'example');

    await producer.publishEvent({ eventName: 'example', custom: 'value', n: 3 });
    const [args] = await seenByBull;
    expect(args).toEqual({ custom: 'value', n: '3' });
    await seenByUs;
    expect(got).toEqual([['value', '3']]);

    const bullProducer = scope.track(new BullProducer(name, { connection: bullConnection() }));
    await bullProducer.publishEvent({ eventName: 'example', custom: 'value', n: 3 });
    const entries = await scope.redis.xrange(`bull:${name}:events`, '-', '+');
    expect(entries).toHaveLength(2);
    expect(entries[0][1]).toEqual(entries[1][1]);
    expect(entries[0][1]).toEqual(['event', 'example', 'custom', 'value', 'n', '3']);
  });

  it('keeps about maxEvents entries (1000 unless given), trimming as bullmq does (MAXLEN ~)', async () => {
    const name = scope.name();
    const producer = scope.track(new QueueEventsProducer(name, { connection: connection() }));
    const bullProducer = scope.track(new BullProducer(`${name}-bull`, { connection: bullConnection() }));
    const lengths = async (publish: (i: number) => Promise<void>, key: string) => {
      for (let i = 0; i < 250; i++) await publish(i);
      return scope.redis.xlen(key);
    };
    const ours = await lengths((i) => producer.publishEvent({ eventName: 'tick', i }, 5), `bull:${name}:events`);
    const theirs = await lengths((i) => bullProducer.publishEvent({ eventName: 'tick', i }, 5), `bull:${name}-bull:events`);
    expect(ours).toBe(theirs);
    expect(ours).toBeLessThan(250);
    await scope.redis.del(`bull:${name}-bull:events`);
    await producer.publishEvent({ eventName: 'gone' }, 0);
    expect(await scope.redis.xlen(`bull:${name}:events`)).toBe(0);
  });

  it('refuses an event without a name or with empty fields, before touching Redis', async () => {
    const name = scope.name();
    const producer = scope.track(new QueueEventsProducer(name, { connection: connection() }));
    const cases: [unknown, number | undefined, RegExp][] = [
      [undefined, undefined, /^publishEvent takes an object \{ eventName, \.\.\.fields \}, got undefined$/],
      ['example', undefined, /^publishEvent takes an object/],
      [{}, undefined, /^eventName must be a non-empty string \(the name QueueEvents emits\), got undefined$/],
      [{ eventName: 5 }, undefined, /^eventName must be a non-empty string .*got 5$/],
      [{ eventName: 'x', gone: null }, undefined, /^publishEvent field "gone" must have a value/],
      [{ eventName: 'x' }, -1, /^maxEvents must be >= 0, got -1$/],
    ];
    for (const [payload, maxEvents, message] of cases) {
      const err = await producer.publishEvent(payload as never, maxEvents).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, name)).toEqual({});
  });

  it('closes its own connection and leaves a client the user passed open', async () => {
    const name = scope.name();
    const own = new QueueEventsProducer(name, { connection: connection() });
    await own.publishEvent({ eventName: 'x' });
    await own.close();
    await expect(own.publishEvent({ eventName: 'x' })).rejects.toThrow(/closed/);
    const user = scope.redis.duplicate();
    const shared = new QueueEventsProducer(name, { connection: user });
    await shared.publishEvent({ eventName: 'y' });
    await shared.close();
    expect(await user.ping()).toBe('PONG');
    await user.quit();
  });
});
