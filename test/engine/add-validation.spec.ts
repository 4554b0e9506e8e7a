import { ConveyorValidationError, Queue } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('bad input to Queue construction', () => {
  it.each([
    ['', /^Queue name must be provided \(a non-empty string\), got ""$/],
    ['a:b', /^Queue name cannot contain :, got "a:b"$/],
    [42, /^Queue name must be provided \(a non-empty string\), got 42$/],
  ])('rejects the queue name %p', (name, message) => {
    expect(() => new Queue(name as string, { connection: connection() })).toThrow(message);
  });

  it('rejects an empty prefix', () => {
    expect(() => new Queue('ok', { prefix: '', connection: connection() })).toThrow(/prefix must be a non-empty string, got ""/);
  });

  it('rejects bad default job options at construction', () => {
    expect(() => new Queue('ok', { connection: connection(), defaultJobOptions: { attempts: -1 } })).toThrow(
      /attempts must be >= 0, got -1/,
    );
  });
});

describe('bad input to add and addBulk', () => {
  const client = rawClient();
  const name = uniqueName('bad-input');
  let queue: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection() });
    await queue.add('existing', { keep: true }); // so the snapshot has content to compare
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['circular data', () => queue.add('j', circular), /data of job "j" cannot be serialized to JSON: .*circular/i],
    ['BigInt data', () => queue.add('j', { n: 10n }), /data of job "j" cannot be serialized to JSON: .*BigInt/i],
    ['a function as data', () => queue.add('j', (() => 1) as never), /data of job "j" cannot be serialized to JSON: got a function/],
    ['a negative delay', () => queue.add('j', {}, { delay: -5 }), /delay must be >= 0, got -5/],
    ['a fractional delay', () => queue.add('j', {}, { delay: 1.5 }), /delay must be an integer, got 1.5/],
    ['a string delay', () => queue.add('j', {}, { delay: '100' as never }), /delay must be an integer, got "100"/],
    ['NaN attempts', () => queue.add('j', {}, { attempts: NaN }), /attempts must be an integer, got NaN/],
    ['negative attempts', () => queue.add('j', {}, { attempts: -1 }), /attempts must be >= 0, got -1/],
    ['priority too high', () => queue.add('j', {}, { priority: 2_097_152 }), /priority must be between 0 and 2097151, got 2097152/],
    ['negative priority', () => queue.add('j', {}, { priority: -1 }), /priority must be between 0 and 2097151, got -1/],
    ['fractional priority', () => queue.add('j', {}, { priority: 1.2 }), /priority must be an integer, got 1.2/],
    ['an unknown backoff type', () => queue.add('j', {}, { attempts: 2, backoff: { type: 'linear', delay: 10 } }), /backoff.type must be one of 'fixed', 'exponential', 'custom' .* got "linear"/],
    ['a negative backoff delay', () => queue.add('j', {}, { backoff: { type: 'fixed', delay: -1 } }), /backoff.delay must be >= 0, got -1/],
    ['jitter above 1', () => queue.add('j', {}, { backoff: { type: 'fixed', delay: 10, jitter: 2 } }), /backoff.jitter must be a number between 0 and 1, got 2/],
    ['an integer-looking custom id', () => queue.add('j', {}, { jobId: '123' }), /jobId must not be an integer .* got "123"/],
    ['a negative integer custom id', () => queue.add('j', {}, { jobId: '-5' }), /jobId must not be an integer .* got "-5"/],
    ['custom id "0"', () => queue.add('j', {}, { jobId: '0' }), /jobId must not be "0" or start with "0:", got "0"/],
    ['a custom id with two colons too many', () => queue.add('j', {}, { jobId: 'a:b:c:d' }), /jobId may contain ":" only as "<a>:<b>:<c>", got "a:b:c:d"/],
    ['a numeric custom id', () => queue.add('j', {}, { jobId: 7 as never }), /jobId must be a non-empty string, got 7/],
    ['an unknown option', () => queue.add('j', {}, { attemps: 3 } as never), /attemps is not a known job option \(got 3\)/],
    ['removeOnComplete of the wrong type', () => queue.add('j', {}, { removeOnComplete: 'yes' as never }), /removeOnComplete must be a boolean, a count or \{ age, count, limit \}, got "yes"/],
    ['data over sizeLimit', () => queue.add('j', { text: 'x'.repeat(100) }, { sizeLimit: 50 }), /data of job "j" is 111 bytes, over its sizeLimit of 50/],
    ['two parent-failure flags', () => queue.add('j', {}, { failParentOnFailure: true, ignoreDependencyOnFailure: true }), /only one of .* may be set/],
    ['a non-string job name', () => queue.add(5 as never, {}), /job name must be a string, got 5/],
    ['one bad job in a bulk', () => queue.addBulk([{ name: 'fine', data: {} }, { name: 'bad', data: {}, opts: { delay: -1 } }]), /delay must be >= 0, got -1/],
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

  it('rejects bad input without needing Redis at all', async () => {
    // nothing listens on port 1: a validation error proves the check ran before any command
    const offline = new Queue(uniqueName(), { connection: { host: '127.0.0.1', port: 1, connectTimeout: 200, retryStrategy: () => null } });
    offline.on('error', () => {});
    try {
      await expect(offline.add('j', {}, { priority: -3 })).rejects.toThrow(/priority must be between 0 and 2097151, got -3/);
    } finally {
      await offline.close();
    }
  });

  it('accepts what BullMQ accepts for custom ids', async () => {
    for (const jobId of ['0123', 'job-123', '1e3', 'repeat:x:123']) {
      await expect(queue.add('ok', {}, { jobId })).resolves.toMatchObject({ id: jobId });
    }
  });
});
