// Bad deduplication options: BullMQ's refusals with its texts, Conveyor's stricter checks with
// strictJobOptions; a clear error naming the option and the value, and nothing written.
import { ConveyorValidationError, Queue } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('bad deduplication options', () => {
  const client = rawClient();
  const name = uniqueName('dedup-bad');
  const strictName = uniqueName('dedup-strict');
  let queue: Queue;
  let strict: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection() });
    strict = new Queue(strictName, { connection: connection(), strictJobOptions: true });
    // content to compare, including an owned deduplication key a bad add must not touch
    await queue.add('existing', {}, { deduplication: { id: 'taken', ttl: 60_000 } });
    await strict.add('existing', {}, { deduplication: { id: 'taken', ttl: 60_000 } });
  });
  afterAll(async () => {
    await queue.close();
    await strict.close();
    await removeQueueKeys(client, name);
    await removeQueueKeys(client, strictName);
    await client.quit();
  });

  const add = (opts: unknown) => () => queue.add('j', {}, opts as never);
  const addStrict = (opts: unknown) => () => strict.add('j', {}, opts as never);
  // BullMQ's refusals (with its texts), then what BullMQ's script cannot take, then strictJobOptions
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'the removed debounce option',
      add({ debounce: { id: 'a' } }),
      /^Debounce option has been removed\. Use deduplication option instead \(got debounce \{"id":"a"\}\)$/,
    ],
    ['a string', add({ deduplication: 'abc' }), /^Deduplication id must be provided \(got deduplication "abc"\)$/],
    ['no id', add({ deduplication: { ttl: 100 } }), /^Deduplication id must be provided \(got deduplication \{"ttl":100\}\)$/],
    ['an empty id', add({ deduplication: { id: '' } }), /^Deduplication id must be provided/],
    [
      'a parent',
      add({ deduplication: { id: 'a' }, parent: { id: 'p', queue: `bull:${name}` } }),
      /^Deduplication and parent options cannot be used together \(got deduplication \{"id":"a"\} and parent \{"id":"p","queue":"bull:dedup-bad-.*"\}\)$/,
    ],
    ['an object id', add({ deduplication: { id: { a: 1 } } }), /deduplication.id must be a non-empty string, got \{"a":1\}/],
    ['a fractional ttl', add({ deduplication: { id: 'a', ttl: 1.5 } }), /deduplication.ttl must be an integer, got 1.5/],
    ['a string ttl', add({ deduplication: { id: 'a', ttl: '100' } }), /deduplication.ttl must be an integer, got "100"/],
    [
      'one bad job in a bulk',
      () =>
        queue.addBulk([
          { name: 'ok', data: {}, opts: { deduplication: { id: 'fresh' } } },
          { name: 'bad', data: {}, opts: { deduplication: { id: '' } } },
        ]),
      /^Deduplication id must be provided/,
    ],
    [
      'getDeduplicationJobId without an id',
      () => queue.getDeduplicationJobId('' as never),
      /deduplication id must be a non-empty string, got ""/,
    ],
    [
      'removeDeduplicationKey with a number',
      () => queue.removeDeduplicationKey(7 as never),
      /deduplication id must be a non-empty string, got 7/,
    ],
    ['null, when strict', addStrict({ deduplication: null }), /deduplication must be \{ id, .*\}, got null/],
    ['a numeric id, when strict', addStrict({ deduplication: { id: 5 } }), /deduplication.id must be a non-empty string, got 5/],
    ['a zero ttl, when strict', addStrict({ deduplication: { id: 'a', ttl: 0 } }), /deduplication.ttl must be >= 1, got 0/],
    ['a negative ttl, when strict', addStrict({ deduplication: { id: 'a', ttl: -5 } }), /deduplication.ttl must be >= 1, got -5/],
    [
      'a string flag, when strict',
      addStrict({ deduplication: { id: 'a', replace: 'yes' } }),
      /deduplication.replace must be a boolean, got "yes"/,
    ],
    [
      'an unknown key, when strict',
      addStrict({ deduplication: { id: 'a', tll: 100 } }),
      /deduplication.tll is not a known option \(id, ttl, extend, replace, keepLastIfActive, reschedule\), got 100/,
    ],
    [
      'extend without ttl, when strict',
      addStrict({ deduplication: { id: 'a', extend: true } }),
      /deduplication.extend needs deduplication.ttl .*got \{"id":"a","extend":true\}/,
    ],
    [
      'replace with reschedule, when strict',
      addStrict({ deduplication: { id: 'a', replace: true, reschedule: true } }),
      /deduplication.replace and deduplication.reschedule exclude each other/,
    ],
  ];

  it.each(cases)('rejects %s with a clear error and writes nothing', async (_label, call, message) => {
    const before = [await snapshotQueue(client, name), await snapshotQueue(client, strictName)];
    const error = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect(error?.message).toMatch(message);
    expect([await snapshotQueue(client, name), await snapshotQueue(client, strictName)]).toEqual(before);
  });

  it('accepts what BullMQ accepts: a numeric id, a ttl of 0 or less (none), extend without ttl, unknown keys', async () => {
    const numeric = await queue.add('ok', {}, { deduplication: { id: 5 } as never });
    expect(await client.get(`bull:${name}:de:5`)).toBe(numeric.id);
    const noTtl = await queue.add('ok', {}, { deduplication: { id: 'no-ttl', ttl: 0 } });
    expect(await client.pttl(`bull:${name}:de:no-ttl`)).toBe(-1);
    expect(await client.get(`bull:${name}:de:no-ttl`)).toBe(noTtl.id);
    await queue.add('ok', {}, { deduplication: { id: 'negative', ttl: -5 } });
    expect(await client.pttl(`bull:${name}:de:negative`)).toBe(-1);
    await expect(queue.add('ok', {}, { deduplication: { id: 'ext', extend: true, foo: 1 } as never })).resolves.toMatchObject({
      deduplicationId: 'ext',
    });
    await expect(queue.add('ok', {}, { deduplication: null as never })).resolves.toMatchObject({ deduplicationId: undefined });
  });

  it('rejects deduplication in defaultJobOptions combined with a parent at add time', async () => {
    const other = uniqueName('dedup-defaults');
    const withDefaults = new Queue(other, {
      connection: connection(),
      defaultJobOptions: { deduplication: { id: 'every-job' } },
    });
    try {
      await expect(withDefaults.add('j', {}, { parent: { id: 'p', queue: 'bull:x' } })).rejects.toThrow(
        /^Deduplication and parent options cannot be used together/,
      );
      expect(await client.exists(`bull:${other}:id`, `bull:${other}:de:every-job`)).toBe(0);
    } finally {
      await withDefaults.close();
      await removeQueueKeys(client, other);
    }
  });

  it('rejects bad deduplication defaults at construction when strict', () => {
    expect(
      () =>
        new Queue('ok', { connection: connection(), strictJobOptions: true, defaultJobOptions: { deduplication: { id: 'a', ttl: -1 } } }),
    ).toThrow(/deduplication.ttl must be >= 1, got -1/);
  });

  it('accepts ttl together with keepLastIfActive (BullMQ documents the ttl as ignored)', async () => {
    const job = await queue.add('ok', {}, { deduplication: { id: 'kl', keepLastIfActive: true, ttl: 100 } });
    expect(await client.pttl(`bull:${name}:de:kl`)).toBe(-1);
    expect(await client.get(`bull:${name}:de:kl`)).toBe(job.id);
  });
});
