// Bad input to the job scheduler methods: a clear error naming the option and the value, and not
// one byte written to Redis.
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
    ['both every and pattern', () => queue.upsertJobScheduler('s', { every: 1000, pattern: '* * * * *' }), /one of every and pattern, got every 1000 and pattern "\* \* \* \* \*"/],
    ['neither every nor pattern', () => queue.upsertJobScheduler('s', {}), /need every \(ms\) or pattern \(cron\), got neither/],
    ['every 0', () => queue.upsertJobScheduler('s', { every: 0 }), /every must be >= 1, got 0/],
    ['a negative every', () => queue.upsertJobScheduler('s', { every: -5 }), /every must be >= 1, got -5/],
    ['a fractional every', () => queue.upsertJobScheduler('s', { every: 1.5 }), /every must be an integer, got 1.5/],
    ['a string every', () => queue.upsertJobScheduler('s', { every: '1000' as never }), /every must be an integer, got "1000"/],
    ['an out-of-range cron field', () => queue.upsertJobScheduler('s', { pattern: '61 * * * *' }), /pattern "61 \* \* \* \*" is not a valid cron expression: Constraint error, got value 61 expected range 0-59/],
    ['a cron word', () => queue.upsertJobScheduler('s', { pattern: 'hello' }), /pattern "hello" is not a valid cron expression: .+/],
    ['an impossible date', () => queue.upsertJobScheduler('s', { pattern: '0 0 30 2 *' }), /pattern "0 0 30 2 \*" is not a valid cron expression: Invalid explicit day of month definition/],
    ['an empty pattern', () => queue.upsertJobScheduler('s', { pattern: ' ' }), /pattern must be a cron expression, got " "/],
    ['immediately with startDate', () => queue.upsertJobScheduler('s', { pattern: '* * * * *', immediately: true, startDate: Date.now() + 1000 }), /immediately and startDate cannot be combined, got immediately true and startDate \d+/],
    ['an endDate in the past', () => queue.upsertJobScheduler('s', { every: 1000, endDate: past }), new RegExp(`endDate must be in the future, got ${past} \\(\\d{4}-`)],
    ['a startDate after endDate', () => queue.upsertJobScheduler('s', { every: 1000, startDate: Date.now() + 9000, endDate: Date.now() + 5000 }), /startDate must be before endDate/],
    ['an invalid date string', () => queue.upsertJobScheduler('s', { every: 1000, startDate: 'tomorrow-ish' }), /startDate must be a date \(a Date, a date string or milliseconds since the epoch\), got "tomorrow-ish"/],
    ['an invalid Date', () => queue.upsertJobScheduler('s', { every: 1000, endDate: new Date('nope') }), /endDate must be a date .*got Invalid Date/],
    ['limit 0', () => queue.upsertJobScheduler('s', { every: 1000, limit: 0 }), /limit must be >= 1, got 0/],
    ['a fractional limit', () => queue.upsertJobScheduler('s', { every: 1000, limit: 2.5 }), /limit must be an integer, got 2.5/],
    ['an unknown time zone', () => queue.upsertJobScheduler('s', { pattern: '* * * * *', tz: 'Nope/Zone' }), /tz must be an IANA time zone name such as "Europe\/Paris", got "Nope\/Zone"/],
    ['a numeric tz', () => queue.upsertJobScheduler('s', { every: 1000, tz: 3 as never }), /tz must be an IANA time zone name .*got 3/],
    ['a negative offset', () => queue.upsertJobScheduler('s', { every: 1000, offset: -1 }), /offset must be >= 0, got -1/],
    ['an offset on a cron', () => queue.upsertJobScheduler('s', { pattern: '* * * * *', offset: 5 }), /offset applies to every schedules only, not to pattern "\* \* \* \* \*" \(got offset 5\)/],
    ['a non-boolean immediately', () => queue.upsertJobScheduler('s', { pattern: '* * * * *', immediately: 'yes' as never }), /immediately must be a boolean, got "yes"/],
    ['an unknown repeat option', () => queue.upsertJobScheduler('s', { every: 1000, cron: '* * * * *' } as never), /repeat option cron is not known \(every, pattern, .*\), got "\* \* \* \* \*"/],
    ['repeat options that are not an object', () => queue.upsertJobScheduler('s', 1000 as never), /repeat options must be an object .* got 1000/],
    ['an empty id', () => queue.upsertJobScheduler('', { every: 1000 }), /job scheduler id must be a non-empty string, got ""/],
    ['a numeric id', () => queue.upsertJobScheduler(5 as never, { every: 1000 }), /job scheduler id must be a non-empty string, got 5/],
    ['a template jobId', () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: { jobId: 'x' } as never }), /template.opts.jobId cannot be set: the scheduler decides it for each iteration \(got "x"\)/],
    ['a template delay', () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: { delay: 5 } as never }), /template.opts.delay cannot be set.*\(got 5\)/],
    ['a bad template option', () => queue.upsertJobScheduler('s', { every: 1000 }, { opts: { attempts: -1 } }), /attempts must be >= 0, got -1/],
    ['an unknown template key', () => queue.upsertJobScheduler('s', { every: 1000 }, { nme: 'x' } as never), /template.nme is not known \(name, data, opts\), got "x"/],
    ['an empty template name', () => queue.upsertJobScheduler('s', { every: 1000 }, { name: '' }), /template.name must be a non-empty string, got ""/],
    ['circular template data', () => queue.upsertJobScheduler('s', { every: 1000 }, { name: 'j', data: circular() }), /data of job "j" cannot be serialized to JSON/],
    ['getJobScheduler with no id', () => queue.getJobScheduler('' as string), /job scheduler id must be a non-empty string, got ""/],
    ['removeJobScheduler with no id', () => queue.removeJobScheduler(undefined as never), /job scheduler id must be a non-empty string, got undefined/],
    ['getJobSchedulers with a negative start', () => queue.getJobSchedulers(-1), /start must be >= 0, got -1/],
    ['getJobSchedulers with a string asc', () => queue.getJobSchedulers(0, -1, 'yes' as never), /asc must be a boolean, got "yes"/],
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

  it('the rejected calls left the existing scheduler as it was', async () => {
    expect(await queue.getJobSchedulers()).toEqual([
      expect.objectContaining({ key: 'existing', every: 60_000, offset: 7, iterationCount: 1, template: { data: { keep: true } } }),
    ]);
  });
});
