// What the add path refuses: BullMQ's refusals with BullMQ's texts (apps and BullMQ's own tests
// match on them), Conveyor's type and range checks only with strictJobOptions, and nothing written
// to Redis on a refusal.
import { ConveyorScriptError, ConveyorValidationError, Job, Queue } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('bad input to Queue construction', () => {
  it.each([
    ['', /^Queue name must be provided \(a non-empty string\), got ""$/],
    [undefined, /^Queue name must be provided \(a non-empty string\), got undefined$/],
    ['a:b', /^Queue name cannot contain :, got "a:b"$/],
    [42, /^Queue name must be provided \(a non-empty string\), got 42$/],
  ])('rejects the queue name %p with BullMQ text', (name, message) => {
    expect(() => new Queue(name as string, { connection: connection() })).toThrow(message);
  });

  it('rejects an empty prefix', () => {
    expect(() => new Queue('ok', { prefix: '', connection: connection() })).toThrow(/prefix must be a non-empty string, got ""/);
  });

  it('checks default job options at construction only with strictJobOptions (BullMQ checks them with each add)', async () => {
    const lenient = new Queue(uniqueName(), { connection: connection(), defaultJobOptions: { priority: 1.5 } });
    try {
      await expect(lenient.add('j', {})).rejects.toThrow('Priority should not be float');
    } finally {
      await lenient.close();
    }
    expect(() => new Queue('ok', { connection: connection(), strictJobOptions: true, defaultJobOptions: { attempts: -1 } })).toThrow(
      /attempts must be >= 0, got -1/,
    );
  });

  it('rejects bad Conveyor queue options', () => {
    expect(() => new Queue('ok', { connection: connection(), strictJobOptions: 'yes' as never })).toThrow(
      /strictJobOptions must be a boolean, got "yes"/,
    );
    expect(() => new Queue('ok', { connection: connection(), customBackoffTypes: 'linear' as never })).toThrow(
      /customBackoffTypes must be an array of strings, got "linear"/,
    );
  });
});

describe('what BullMQ refuses at add, with its texts', () => {
  const client = rawClient();
  const name = uniqueName('bad-input');
  const parentQueue = `bull:${name}`;
  let queue: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection() });
    await queue.add('existing', { keep: true }); // so the snapshot has content to compare
    await queue.add('parent-a', {}, { jobId: 'parent-a' });
    await queue.add('parent-b', {}, { jobId: 'parent-b' });
    await queue.add('child', {}, { jobId: 'owned-child', parent: { id: 'parent-a', queue: parentQueue } });
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const add =
    (opts: unknown, data: unknown = {}) =>
    () =>
      queue.add('j', data, opts as never);

  const cases: [string, () => Promise<unknown>, RegExp | string][] = [
    [
      'circular data',
      () => queue.add('j', circular),
      /^Converting circular structure to JSON[^]*\(data of job "j" cannot be serialized to JSON\)$/,
    ],
    [
      'BigInt data',
      () => queue.add('j', { n: 10n }),
      'Do not know how to serialize a BigInt (data of job "j" cannot be serialized to JSON)',
    ],
    ['priority too high', add({ priority: 2_097_152 }), 'Priority should be between 0 and 2097151 (got priority 2097152)'],
    ['fractional priority', add({ priority: 1.2 }), 'Priority should not be float (got priority 1.2)'],
    ['a string priority', add({ priority: '3' }), 'Priority should not be float (got priority "3")'],
    ['NaN priority', add({ priority: NaN }), 'Priority should not be float (got priority NaN)'],
    [
      'jitter above 1',
      add({ backoff: { type: 'fixed', delay: 10, jitter: 2 } }),
      'Jitter should be between 0 and 1 (got backoff.jitter 2)',
    ],
    ['jitter below 0', add({ backoff: { type: 'fixed', jitter: -1 } }), 'Jitter should be between 0 and 1 (got backoff.jitter -1)'],
    ['an integer-looking custom id', add({ jobId: '123' }), /^Custom Id cannot be integers$/],
    ['a negative integer custom id', add({ jobId: '-5' }), /^Custom Id cannot be integers$/],
    ['custom id "0"', add({ jobId: '0' }), /^JobId cannot be '0' or start with '0:'$/],
    ['custom id "0:x"', add({ jobId: '0:x' }), /^JobId cannot be '0' or start with '0:'$/],
    ['a custom id with one colon', add({ jobId: 'a:b' }), /^Custom Id cannot contain :$/],
    ['a custom id with too many colons', add({ jobId: 'a:b:c:d' }), /^Custom Id cannot contain :$/],
    ['a numeric custom id', add({ jobId: 7 }), /^jobId must be a string, got 7$/],
    ['a null custom id', add({ jobId: null }), /^jobId must be a string, got null$/],
    [
      'data over sizeLimit',
      add({ sizeLimit: 50 }, { text: 'x'.repeat(100) }),
      'The size of job j exceeds the limit 50 bytes (its data is 111 bytes)',
    ],
    [
      'two parent-failure flags',
      add({ failParentOnFailure: true, ignoreDependencyOnFailure: true }),
      /^The following options cannot be used together: failParentOnFailure, ignoreDependencyOnFailure$/,
    ],
    [
      'removeDependencyOnFailure with failParentOnFailure',
      add({ failParentOnFailure: true, removeDependencyOnFailure: true }),
      /^The following options cannot be used together: removeDependencyOnFailure, failParentOnFailure$/,
    ],
    [
      'continueParentOnFailure with removeDependencyOnFailure',
      add({ continueParentOnFailure: 1, removeDependencyOnFailure: 'yes' }),
      /^The following options cannot be used together: removeDependencyOnFailure, continueParentOnFailure$/,
    ],
    [
      'the removed debounce option',
      add({ debounce: { id: 'a' } }),
      'Debounce option has been removed. Use deduplication option instead (got debounce {"id":"a"})',
    ],
    ['debounce set to undefined', add({ debounce: undefined }), 'Debounce option has been removed. Use deduplication option instead'],
    ['deduplication without an id', add({ deduplication: { id: '' } }), 'Deduplication id must be provided (got deduplication {"id":""})'],
    ['deduplication as a string', add({ deduplication: 'abc' }), 'Deduplication id must be provided (got deduplication "abc")'],
    [
      'deduplication with a parent',
      add({ deduplication: { id: 'a' }, parent: { id: 'parent-a', queue: parentQueue } }),
      /^Deduplication and parent options cannot be used together \(got deduplication \{"id":"a"\} and parent \{"id":"parent-a",/,
    ],
    [
      "a deduplication id BullMQ's script cannot take",
      add({ deduplication: { id: { x: 1 } } }),
      'deduplication.id must be a non-empty string, got {"x":1}',
    ],
    ['a fractional deduplication ttl', add({ deduplication: { id: 'a', ttl: 1.5 } }), 'deduplication.ttl must be an integer, got 1.5'],
    ["a job name BullMQ's script cannot take", () => queue.add(undefined as never, {}), 'job name must be a string, got undefined'],
    ['an object as job name', () => queue.add({ a: 1 } as never, {}), 'job name must be a string, got {"a":1}'],
    [
      'one bad job in a bulk',
      () =>
        queue.addBulk([
          { name: 'fine', data: {} },
          { name: 'bad', data: {}, opts: { priority: 0.5 } },
        ]),
      'Priority should not be float (got priority 0.5)',
    ],
    [
      'custom id "0" in a bulk (BullMQ checks "0" only in add)',
      () => queue.addBulk([{ name: 'a', data: {}, opts: { jobId: '0' } }]),
      /^Custom Id cannot be integers$/,
    ],
    ['addBulk without an array', () => queue.addBulk({} as never), 'addBulk takes an array of { name, data, opts }, got {}'],
    ['addBulk with a null job', () => queue.addBulk([null as never]), 'each job to add must be { name, data, opts }, got null'],
    // BullMQ's script looks "undefined:gone" up; that key is never sent here
    [
      'a parent without a queue',
      add({ parent: { id: 'gone' } }),
      `Missing key for parent job undefined:gone. addJob (parent must be { id, queue: '<prefix>:<queue>' }, got {"id":"gone"})`,
    ],
  ];

  it.each(cases)('rejects %s with a ConveyorValidationError and writes nothing', async (_label, call, message) => {
    const before = await snapshotQueue(client, name);
    const error = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConveyorValidationError);
    if (typeof message === 'string') expect(error?.message.startsWith(message)).toBe(true);
    else expect(error?.message).toMatch(message);
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  const scriptCases: [string, () => Promise<unknown>, string][] = [
    ['a missing parent', add({ parent: { id: 'gone', queue: parentQueue } }), `Missing key for parent job ${parentQueue}:gone. addJob`],
    [
      'a missing parent in the second job of a bulk',
      () =>
        queue.addBulk([
          { name: 'ok', data: {}, opts: { parent: { id: 'parent-a', queue: parentQueue } } },
          { name: 'bad', data: {}, opts: { parent: { id: 'gone-too', queue: parentQueue } } },
        ]),
      `Missing key for parent job ${parentQueue}:gone-too. addJob`,
    ],
    [
      'a child of another live parent, after a good job in the bulk',
      () =>
        queue.addBulk([
          { name: 'ok', data: {} },
          { name: 'child', data: {}, opts: { jobId: 'owned-child', parent: { id: 'parent-b', queue: parentQueue } } },
        ]),
      `The parent job ${parentQueue}:parent-b cannot be replaced. addJob`,
    ],
  ];

  it.each(scriptCases)('rejects %s with the script error BullMQ gives and writes no job', async (_label, call, message) => {
    // the id counter is the one key that moves: ids are reserved before the add is sent
    // (job-ids.ts), and a refused add leaves a gap in the numbering
    const withoutCounter = (snapshot: Record<string, string>) => {
      const { [`bull:${name}:id`]: _counter, ...rest } = snapshot;
      return rest;
    };
    const before = await snapshotQueue(client, name);
    const error = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConveyorScriptError);
    expect(error?.message).toBe(message);
    expect(withoutCounter(await snapshotQueue(client, name))).toEqual(withoutCounter(before));
  });

  it('Job.create and Job.createBulk refuse with the same texts and write nothing', async () => {
    const before = await snapshotQueue(client, name);
    await expect(Job.create(queue, 'j', {}, { priority: 1.5 })).rejects.toThrow('Priority should not be float');
    // BullMQ checks "0" only in Queue.add: Job.create finds it an integer
    await expect(Job.create(queue, 'j', {}, { jobId: '0' })).rejects.toThrow(/^Custom Id cannot be integers$/);
    await expect(Job.create(queue, 'test', { foo: 'bar' }, { sizeLimit: 12 })).rejects.toThrow(
      'The size of job test exceeds the limit 12 bytes',
    );
    await expect(
      Job.createBulk(queue, [
        { name: 'a', data: {} },
        { name: 'b', data: {}, opts: { jobId: 'a:b' } },
      ]),
    ).rejects.toThrow(/^Custom Id cannot contain :$/);
    await expect(Job.createBulk(queue, 'x' as never)).rejects.toThrow('Job.createBulk takes an array of { name, data, opts }, got "x"');
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  it('rejects bad input without needing Redis at all', async () => {
    // nothing listens on port 1: a validation error proves the check ran before any command
    const offline = new Queue(uniqueName(), { connection: { host: '127.0.0.1', port: 1, connectTimeout: 200, retryStrategy: () => null } });
    offline.on('error', () => {});
    try {
      await expect(offline.add('j', {}, { priority: 1.5 })).rejects.toThrow('Priority should not be float');
      await expect(Job.create(offline, 'j', {}, { jobId: '12' })).rejects.toThrow('Custom Id cannot be integers');
    } finally {
      await offline.close();
    }
  });
});

describe('strictJobOptions: Conveyor checks every option', () => {
  const client = rawClient();
  const name = uniqueName('strict-input');
  let queue: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection(), strictJobOptions: true });
    await queue.add('existing', { keep: true });
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['a function as data', () => queue.add('j', (() => 1) as never), /data of job "j" cannot be serialized to JSON: got a function/],
    ['a negative delay', () => queue.add('j', {}, { delay: -5 }), /delay must be >= 0, got -5/],
    ['a fractional delay', () => queue.add('j', {}, { delay: 1.5 }), /delay must be an integer, got 1.5/],
    ['a string delay', () => queue.add('j', {}, { delay: '100' as never }), /delay must be an integer, got "100"/],
    ['NaN attempts', () => queue.add('j', {}, { attempts: NaN }), /attempts must be an integer, got NaN/],
    ['negative attempts', () => queue.add('j', {}, { attempts: -1 }), /attempts must be >= 0, got -1/],
    ['negative priority', () => queue.add('j', {}, { priority: -1 }), /priority must be between 0 and 2097151, got -1/],
    [
      'fractional priority (BullMQ text first)',
      () => queue.add('j', {}, { priority: 1.2 }),
      /^Priority should not be float \(got priority 1.2\)$/,
    ],
    [
      'an unknown backoff type',
      () => queue.add('j', {}, { attempts: 2, backoff: { type: 'linear', delay: 10 } }),
      /backoff.type must be one of 'fixed', 'exponential', 'custom' .* got "linear"/,
    ],
    ['a negative backoff delay', () => queue.add('j', {}, { backoff: { type: 'fixed', delay: -1 } }), /backoff.delay must be >= 0, got -1/],
    ['an unknown option', () => queue.add('j', {}, { attemps: 3 } as never), /attemps is not a known job option \(got 3\)/],
    [
      'removeOnComplete of the wrong type',
      () => queue.add('j', {}, { removeOnComplete: 'yes' as never }),
      /removeOnComplete must be a boolean, a count or \{ age, count, limit \}, got "yes"/,
    ],
    ['a numeric job name', () => queue.add(5 as never, {}), /job name must be a string, got 5/],
    [
      'a string parent flag',
      () => queue.add('j', {}, { failParentOnFailure: 'yes' as never }),
      /failParentOnFailure must be a boolean, got "yes"/,
    ],
    [
      'a malformed telemetry option',
      () => queue.add('j', {}, { telemetry: 5 as never }),
      /telemetry must be \{ metadata\?, omitContext\? \}, got 5/,
    ],
    [
      'one bad job in a bulk',
      () =>
        queue.addBulk([
          { name: 'fine', data: {} },
          { name: 'bad', data: {}, opts: { delay: -1 } },
        ]),
      /delay must be >= 0, got -1/,
    ],
  ];

  it.each(cases)('rejects %s and writes nothing', async (_label, call, message) => {
    const before = await snapshotQueue(client, name);
    const error = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect(error?.message).toMatch(message);
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  it('listing customBackoffTypes checks backoff types without the other strict checks', async () => {
    const other = uniqueName('typed-backoff');
    const typed = new Queue(other, { connection: connection(), customBackoffTypes: ['linear'] });
    try {
      await expect(typed.add('j', {}, { backoff: { type: 'quadratic' } })).rejects.toThrow(
        /backoff.type must be one of 'fixed', 'exponential', 'custom', 'linear'/,
      );
      await expect(typed.add('j', {}, { backoff: { type: 'linear' }, delay: -5 })).resolves.toBeInstanceOf(Job);
    } finally {
      await typed.close();
      await removeQueueKeys(client, other);
    }
  });
});
