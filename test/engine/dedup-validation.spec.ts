// Bad deduplication options: a clear error naming the option and the value, and nothing written.
import { ConveyorValidationError, Queue } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('bad deduplication options', () => {
  const client = rawClient();
  const name = uniqueName('dedup-bad');
  let queue: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection() });
    // content to compare, including an owned deduplication key a bad add must not touch
    await queue.add('existing', {}, { deduplication: { id: 'taken', ttl: 60_000 } });
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  const add = (opts: unknown) => () => queue.add('j', {}, opts as never);
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['the removed debounce option', add({ debounce: { id: 'a' } }), /debounce was removed in BullMQ 6: use deduplication: \{ id, ttl, replace: true \} instead \(got \{"id":"a"\}\)/],
    ['a string', add({ deduplication: 'abc' }), /deduplication must be \{ id, ttl\?, extend\?, replace\?, keepLastIfActive\?, reschedule\? \}, got "abc"/],
    ['null', add({ deduplication: null }), /deduplication must be \{ id, .*\}, got null/],
    ['no id', add({ deduplication: { ttl: 100 } }), /deduplication.id must be a non-empty string, got undefined/],
    ['an empty id', add({ deduplication: { id: '' } }), /deduplication.id must be a non-empty string, got ""/],
    ['a numeric id', add({ deduplication: { id: 5 } }), /deduplication.id must be a non-empty string, got 5/],
    ['a zero ttl', add({ deduplication: { id: 'a', ttl: 0 } }), /deduplication.ttl must be >= 1, got 0/],
    ['a negative ttl', add({ deduplication: { id: 'a', ttl: -5 } }), /deduplication.ttl must be >= 1, got -5/],
    ['a fractional ttl', add({ deduplication: { id: 'a', ttl: 1.5 } }), /deduplication.ttl must be an integer, got 1.5/],
    ['a string flag', add({ deduplication: { id: 'a', replace: 'yes' } }), /deduplication.replace must be a boolean, got "yes"/],
    ['an unknown key', add({ deduplication: { id: 'a', tll: 100 } }), /deduplication.tll is not a known option \(id, ttl, extend, replace, keepLastIfActive, reschedule\), got 100/],
    ['extend without ttl', add({ deduplication: { id: 'a', extend: true } }), /deduplication.extend needs deduplication.ttl .*got \{"id":"a","extend":true\}/],
    ['replace with reschedule', add({ deduplication: { id: 'a', replace: true, reschedule: true } }), /deduplication.replace and deduplication.reschedule exclude each other/],
    ['a parent', add({ deduplication: { id: 'a' }, parent: { id: 'p', queue: `bull:${name}` } }), /deduplication cannot be used together with parent \(got deduplication \{"id":"a"\} and parent \{"id":"p","queue":"bull:dedup-bad-.*"\}\)/],
    ['one bad job in a bulk', () => queue.addBulk([{ name: 'ok', data: {}, opts: { deduplication: { id: 'fresh' } } }, { name: 'bad', data: {}, opts: { deduplication: { id: '' } } }]), /deduplication.id must be a non-empty string, got ""/],
    ['getDeduplicationJobId without an id', () => queue.getDeduplicationJobId('' as never), /deduplication id must be a non-empty string, got ""/],
    ['removeDeduplicationKey with a number', () => queue.removeDeduplicationKey(7 as never), /deduplication id must be a non-empty string, got 7/],
  ];

  it.each(cases)('rejects %s with a clear error and writes nothing', async (_label, call, message) => {
    const before = await snapshotQueue(client, name);
    const error = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect(error?.message).toMatch(message);
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  it('rejects deduplication in defaultJobOptions combined with a parent at add time', async () => {
    const other = uniqueName('dedup-defaults');
    const withDefaults = new Queue(other, {
      connection: connection(),
      defaultJobOptions: { deduplication: { id: 'every-job' } },
    });
    try {
      await expect(withDefaults.add('j', {}, { parent: { id: 'p', queue: 'bull:x' } })).rejects.toThrow(
        /deduplication cannot be used together with parent/,
      );
      expect(await client.exists(`bull:${other}:id`, `bull:${other}:de:every-job`)).toBe(0);
    } finally {
      await withDefaults.close();
      await removeQueueKeys(client, other);
    }
  });

  it('rejects bad deduplication defaults at construction', () => {
    expect(() => new Queue('ok', { connection: connection(), defaultJobOptions: { deduplication: { id: 'a', ttl: -1 } } })).toThrow(
      /deduplication.ttl must be >= 1, got -1/,
    );
  });

  it('accepts ttl together with keepLastIfActive (BullMQ documents the ttl as ignored)', async () => {
    const job = await queue.add('ok', {}, { deduplication: { id: 'kl', keepLastIfActive: true, ttl: 100 } });
    expect(await client.pttl(`bull:${name}:de:kl`)).toBe(-1);
    expect(await client.get(`bull:${name}:de:kl`)).toBe(job.id);
  });
});
