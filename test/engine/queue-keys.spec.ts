// queue.keys and queue.toKey as BullMQ has them: bull-board and BullMQ users build key names with
// them, so they must name the same keys.
import { Queue as BullQueue } from 'bullmq';
import { Queue, QueueEvents, QueueEventsProducer, Worker } from '../../lib/index.js';
import { adminConnection, connection, uniqueName } from '../support/redis.js';

describe('queue.keys and queue.toKey', () => {
  it("are BullMQ's key map (same names, same order, nothing else enumerable) and BullMQ's toKey", async () => {
    const name = uniqueName('keys');
    const ours = new Queue(name, { connection: connection(), prefix: '{pfx}', skipMetasUpdate: true });
    const theirs = new BullQueue(name, {
      connection: { ...adminConnection(), maxRetriesPerRequest: null },
      prefix: '{pfx}',
      skipMetasUpdate: true,
    });
    try {
      expect(Object.entries(ours.keys)).toEqual(Object.entries(theirs.keys));
      expect({ ...ours.keys }).toEqual({ ...theirs.keys });
      for (const type of ['', 'wait', 'repeat', 'marker', '42', 'repeat:s:1700000000000'])
        expect(ours.toKey(type)).toBe(theirs.toKey(type));
      expect(ours.keys['']).toBe(`{pfx}:${name}:`);
      expect(ours.keys['waiting-children']).toBe(`{pfx}:${name}:waiting-children`);
      expect(ours.qualifiedName).toBe(theirs.qualifiedName);
      // a detached toKey still knows its queue, as BullMQ's arrow function does
      const { toKey } = ours;
      expect(toKey('events')).toBe(`{pfx}:${name}:events`);
    } finally {
      await ours.close();
      await theirs.close();
    }
  });

  it('exist on every queue object: Worker, QueueEvents, QueueEventsProducer', async () => {
    const name = uniqueName('keys');
    const objects = [
      new Worker(name, null, { connection: connection(), autorun: false }),
      new QueueEvents(name, { connection: connection(), autorun: false }),
      new QueueEventsProducer(name, { connection: connection() }),
    ];
    try {
      for (const o of objects) {
        expect(o.toKey('wait')).toBe(`bull:${name}:wait`);
        expect(o.keys.events).toBe(`bull:${name}:events`);
      }
    } finally {
      for (const o of objects) await o.close();
    }
  });
});
