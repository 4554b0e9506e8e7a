// Input to the job scheduler methods. What BullMQ 6.7 refuses is refused with BullMQ's text first
// (Conveyor's detail after it); what BullMQ would store as a schedule that cannot run is refused with
// a clear error; either way not one byte reaches Redis. What BullMQ accepts is accepted.
import { ConveyorValidationError, Queue } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { snapshotQueue } from '../support/snapshot.js';

describe('bad input to job schedulers', () => {
  const client = rawClient();
  const name = uniqueName('sched-bad');
  let queue: Queue;

  beforeAll(async () => {
    queue = new Queue(name, { connection: connection() });
    // existing content, so "nothing written" is checked against a real keyspace
    await queue.upsertJobScheduler('existing', { every: 60_000, offset: 7 }, { data: { keep: true } });
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  const past = Date.now() - 1000;
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    // BullMQ's checks, in BullMQ's order and words
    [
      'an endDate in the past',
      () => queue.upsertJobScheduler('s', { every: 1000, endDate: past }),
      new RegExp(`^End date must be greater than current timestamp \\(endDate ${past}, \\d{4}-`),
    ],
    [
      'an endDate in the past, before other mistakes',
      () => queue.upsertJobScheduler('s', { every: 1, pattern: 'x', endDate: past }),
      /^End date must be greater than current timestamp/,
    ],
    [
      'both every and pattern',
      () => queue.upsertJobScheduler('s', { every: 1000, pattern: '* * * * *' }),
      /^Both \.pattern and \.every options are defined for this repeatable job \(got every 1000 and pattern "\* \* \* \* \*"\)$/,
    ],
    [
      'neither every nor pattern',
      () => queue.upsertJobScheduler('s', {}),
      /^Either \.pattern or \.every options must be defined for this repeatable job \(got every undefined and pattern undefined\)$/,
    ],
    [
      'every 0 (BullMQ reads it as absent)',
      () => queue.upsertJobScheduler('s', { every: 0 }),
      /^Either \.pattern or \.every options must be defined for this repeatable job \(got every 0 /,
    ],
    ['an empty pattern', () => queue.upsertJobScheduler('s', { pattern: '' }), /^Either \.pattern or \.every options must be defined/],
    [
      'repeat options that are not an object',
      () => queue.upsertJobScheduler('s', 1000 as never),
      /^Either \.pattern or \.every options must be defined for this repeatable job \(got repeat options 1000\)$/,
    ],
    [
      'immediately with startDate',
      () => queue.upsertJobScheduler('s', { every: 5000, immediately: true, startDate: Date.now() + 1000 }),
      /^Both \.immediately and \.startDate options are defined for this repeatable job \(got startDate \d+\)$/,
    ],
    [
      'a removed debounce option in the template',
      () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: { debounce: { id: 'x' } } as never }),
      /^Debounce option has been removed\. Use deduplication option instead \(template\.opts\.debounce \{"id":"x"\}\)$/,
    ],
    // cron-parser's text, as BullMQ lets it through, then which pattern
    [
      'an out-of-range cron field',
      () => queue.upsertJobScheduler('s', { pattern: '61 * * * *' }),
      /^Constraint error, got value 61 expected range 0-59 \(pattern "61 \* \* \* \*" is not a valid cron expression\)$/,
    ],
    [
      'a cron word',
      () => queue.upsertJobScheduler('s', { pattern: 'hello' }),
      /^Validation error, cannot resolve alias "hel" \(pattern "hello" is not a valid cron expression\)$/,
    ],
    [
      'an impossible date',
      () => queue.upsertJobScheduler('s', { pattern: '0 0 30 2 *' }),
      /^Invalid explicit day of month definition \(pattern "0 0 30 2 \*" is not a valid cron expression\)$/,
    ],
    [
      'an unknown time zone for a pattern',
      () => queue.upsertJobScheduler('s', { pattern: '* * * * *', tz: 'Europa/Copenhaguen' }),
      /^CronDate: unhandled timestamp: .+ \(pattern "\* \* \* \* \*" in time zone "Europa\/Copenhaguen" is not a valid cron expression\)$/,
    ],
    // what BullMQ takes and then cannot run (or crashes on): refused with a clear error
    ['a negative every', () => queue.upsertJobScheduler('s', { every: -5 }), /^every must be a whole number of ms >= 1, got -5$/],
    ['a fractional every', () => queue.upsertJobScheduler('s', { every: 1.5 }), /^every must be a whole number of ms >= 1, got 1.5$/],
    [
      'a word for every',
      () => queue.upsertJobScheduler('s', { every: 'soon' as never }),
      /^every must be a whole number of ms >= 1, got "soon"$/,
    ],
    [
      'a pattern that is not a string',
      () => queue.upsertJobScheduler('s', { pattern: 5 as never }),
      /^pattern must be a cron expression, got 5$/,
    ],
    ['a numeric tz', () => queue.upsertJobScheduler('s', { every: 1000, tz: 3 as never }), /^tz must be an IANA time zone name .*got 3$/],
    [
      'a startDate after endDate',
      () => queue.upsertJobScheduler('s', { every: 1000, startDate: Date.now() + 9000, endDate: Date.now() + 5000 }),
      /^startDate must be before endDate/,
    ],
    [
      'an invalid date string',
      () => queue.upsertJobScheduler('s', { every: 1000, startDate: 'tomorrow-ish' }),
      /^startDate must be a date \(a Date, a date string or milliseconds since the epoch\), got "tomorrow-ish"$/,
    ],
    [
      'an invalid Date',
      () => queue.upsertJobScheduler('s', { every: 1000, endDate: new Date('nope') }),
      /^endDate must be a date .*got Invalid Date$/,
    ],
    [
      'a limit that is not a number',
      () => queue.upsertJobScheduler('s', { every: 1000, limit: '5' as never }),
      /^limit must be a number, got "5"$/,
    ],
    ['a negative count', () => queue.upsertJobScheduler('s', { every: 1000, count: -1 }), /^count must be a whole number >= 0, got -1$/],
    [
      'a negative offset',
      () => queue.upsertJobScheduler('s', { every: 1000, offset: -1 }),
      /^offset must be a whole number of ms >= 0, got -1$/,
    ],
    ['an empty id', () => queue.upsertJobScheduler('', { every: 1000 }), /^job scheduler id must be a non-empty string, got ""$/],
    [
      'no id',
      () => queue.upsertJobScheduler(undefined as never, { every: 1000 }),
      /^job scheduler id must be a non-empty string, got undefined$/,
    ],
    [
      'a bad template option',
      () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: { attempts: -1 } }),
      /attempts must be >= 0, got -1/,
    ],
    [
      'a template that is not an object',
      () => queue.upsertJobScheduler('s', { every: 1000 }, 'x' as never),
      /^job scheduler template must be an object \{ name, data, opts \}, got "x"$/,
    ],
    [
      'template opts that are not an object',
      () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: 3 as never }),
      /^job scheduler template\.opts must be an object, got 3$/,
    ],
    [
      'a template name that is not a string',
      () => queue.upsertJobScheduler('s', { every: 1000 }, { name: 5 as never }),
      /^job scheduler template\.name must be a string, got 5$/,
    ],
    [
      'circular template data',
      () => queue.upsertJobScheduler('s', { every: 1000 }, { name: 'j', data: circular() }),
      /data of job "j" cannot be serialized to JSON/,
    ],
    ['getJobScheduler with no id', () => queue.getJobScheduler('' as string), /job scheduler id must be a non-empty string, got ""/],
    [
      'removeJobScheduler with no id',
      () => queue.removeJobScheduler(undefined as never),
      /job scheduler id must be a non-empty string, got undefined/,
    ],
    ['getJobSchedulers with a string asc', () => queue.getJobSchedulers(0, -1, 'yes' as never), /asc must be a boolean, got "yes"/],
    [
      'isJobScheduler with no id',
      async () => (await queue.jobScheduler).isJobScheduler(null as never),
      /job scheduler id must be a non-empty string, got null/,
    ],
  ];

  function circular(): Record<string, unknown> {
    const c: Record<string, unknown> = {};
    c.self = c;
    return c;
  }

  it.each(cases)('rejects %s and writes nothing', async (_label, call, message) => {
    const before = await snapshotQueue(client, name);
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConveyorValidationError);
    expect((err as Error).message).toMatch(message);
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  it('a repeatStrategy that is not a function is refused when the Queue is made', () => {
    expect(() => new Queue(name, { connection: connection(), settings: { repeatStrategy: 'cron' as never } })).toThrow(
      /^settings\.repeatStrategy must be a function \(millis, opts, name\) => number \| undefined, got "cron"$/,
    );
  });

  it('the rejected calls left the existing scheduler as it was', async () => {
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: 'existing', every: 60_000, offset: 7, iterationCount: 1, template: { data: { keep: true } } }),
    ]);
  });
});

describe('input BullMQ accepts, accepted', () => {
  const client = rawClient();
  const name = uniqueName('sched-ok');
  let queue: Queue;
  const key = (suffix: string) => `bull:${name}:${suffix}`;

  beforeAll(() => {
    queue = new Queue(name, { connection: connection() });
  });
  afterAll(async () => {
    await queue.close();
    await removeQueueKeys(client, name);
    await client.quit();
  });

  it('every as a string of digits, a numeric id', async () => {
    const job = await queue.upsertJobScheduler(5 as never, { every: '60000' as never });
    expect(job!.id).toMatch(/^repeat:5:\d+$/);
    expect(await queue.getJobScheduler('5')).toMatchObject({ key: '5', every: 60_000 });
  });

  it('an unknown time zone with every (only a pattern reads it): stored as given', async () => {
    await queue.upsertJobScheduler('tz', { every: 5000, tz: 'Europa/Copenhaguen' });
    expect(await queue.getJobScheduler('tz')).toMatchObject({ every: 5000, tz: 'Europa/Copenhaguen' });
  });

  it('an offset on a pattern is ignored (offset 0, as BullMQ stores for patterns)', async () => {
    const job = await queue.upsertJobScheduler('cron-offset', { pattern: '0 0 1 1 *', offset: 5 });
    expect((await queue.getJobScheduler('cron-offset'))!.offset).toBe(0);
    expect(job!.opts.repeat).toEqual({ pattern: '0 0 1 1 *', count: 1 });
  });

  it('repeat options BullMQ does not read (key, a typo) travel in the iterations as given; immediately with every changes nothing', async () => {
    const job = await queue.upsertJobScheduler('extra', { every: 60_000, key: 'old-key', colour: 'red', immediately: true } as never);
    expect(job!.opts.repeat).toEqual({ every: 60_000, key: 'old-key', colour: 'red', count: 1 });
    expect(job!.delay).toBe(0);
  });

  it("template options the scheduler sets itself are ignored: the iteration has the scheduler's, the stored template none of them", async () => {
    const job = await queue.upsertJobScheduler(
      'tpl',
      { every: 60_000 },
      {
        name: 'tpl-job',
        opts: {
          attempts: 3,
          jobId: 'mine',
          delay: 5000,
          timestamp: 5,
          prevMillis: 7,
          repeat: { every: 1 },
          repeatJobKey: 'other',
          deduplication: { id: 'd' },
          parent: { id: 'p', queue: 'bull:elsewhere' },
        } as never,
      },
    );
    expect(job!.id).toMatch(/^repeat:tpl:\d+$/);
    expect(job!.delay).toBe(0);
    expect(job!.opts).toMatchObject({ attempts: 3, jobId: job!.id, delay: 0, repeatJobKey: 'tpl', repeat: { every: 60_000, count: 1 } });
    expect(job!.opts.prevMillis).toBeUndefined();
    expect(job!.opts.parent).toBeUndefined();
    expect(job!.opts.deduplication).toBeUndefined();
    expect(await client.hget(key('repeat:tpl'), 'opts')).toBe('{"attempts":3}');
    expect(await client.hexists(key(job!.id!), 'parentKey')).toBe(0);
  });

  it('an empty template name names the iterations ""', async () => {
    const job = await queue.upsertJobScheduler('unnamed', { every: 60_000 }, { name: '' });
    expect(job!.name).toBe('');
    expect(await client.hget(key('repeat:unnamed'), 'name')).toBe('');
  });

  it('count: the first iteration is count + 1; a limit already reached (or 0) resolves undefined and writes nothing', async () => {
    const job = await queue.upsertJobScheduler('counted', { every: 60_000, count: 5, limit: 6 });
    expect(job!.opts.repeat).toEqual({ every: 60_000, count: 6, limit: 6 });
    const before = await snapshotQueue(client, name);
    expect(await queue.upsertJobScheduler('spent', { every: 60_000, count: 5, limit: 5 })).toBeUndefined();
    expect(await queue.upsertJobScheduler('none', { every: 60_000, limit: 0 })).toBeUndefined();
    expect(await snapshotQueue(client, name)).toEqual(before);
  });

  it('getJobSchedulers takes negative ranges as ZRANGE does', async () => {
    const all = await queue.getJobSchedulers(0, -1, true);
    expect(all.length).toBeGreaterThan(2);
    expect(await queue.getJobSchedulers(-1, -1, true)).toEqual([all[all.length - 1]]);
    expect(await queue.getJobSchedulers(-2, -1, true)).toEqual(all.slice(-2));
  });
});
