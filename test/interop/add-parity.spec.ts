// Input bullmq@6.7.0 accepts at add, Conveyor accepts too, and stores the same way: the same
// hash fields (opts JSON included) and the same state, whichever engine added the job. Job.create
// behaves as BullMQ's: no queue defaults, no `waiting` event on the queue.
import { Job as BullJob, Queue as BullQueue } from 'bullmq';
import { Job, Queue } from '../../lib/index.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection, hashShape, rawJob } from './support.js';

/** Options and data bullmq takes as they come (it checks only a handful of things). */
const ACCEPTED: { label: string; name?: unknown; data?: unknown; opts?: unknown }[] = [
  { label: 'unknown option names', opts: { attemps: 3, foo: { bar: 1 } } },
  { label: 'a custom backoff type name', opts: { attempts: 2, backoff: { type: 'custom1', delay: 5 } } },
  { label: 'a backoff without a type', opts: { backoff: { delay: 5 } } },
  { label: 'a negative backoff number', opts: { backoff: -5 } },
  { label: 'a backoff given as text', opts: { backoff: 'x' } },
  { label: 'a jitter given as text', opts: { backoff: { type: 'fixed', jitter: 'x' } } },
  { label: 'a negative delay', opts: { delay: -5 } },
  { label: 'a fractional delay', opts: { delay: 1.5 } },
  // Conveyor sends an integer below 1e14 as text, anything else (the fractional delay above) as a
  // number for Lua to format
  { label: 'a delay just below 1e14 ms', opts: { delay: 1e14 - 1 } },
  { label: 'a priority of -0', opts: { priority: -0 } },
  { label: 'negative attempts', opts: { attempts: -1 } },
  { label: 'fractional attempts', opts: { attempts: 1.5 } },
  { label: 'priority null', opts: { priority: null } },
  { label: 'lifo as text', opts: { lifo: 'yes' } },
  { label: 'removeOnComplete as text', opts: { removeOnComplete: 'x', removeOnFail: -1 } },
  { label: 'negative keepLogs and stackTraceLimit', opts: { keepLogs: -1, stackTraceLimit: -1 } },
  { label: 'sizeLimit 0 (no limit)', data: { foo: 'bar' }, opts: { sizeLimit: 0 } },
  { label: 'an empty custom id (a generated one)', opts: { jobId: '' } },
  { label: 'custom ids that only look numeric', opts: { jobId: '1e3' } },
  { label: 'a three-part custom id', opts: { jobId: 'a:b:c' } },
  { label: 'a zero deduplication ttl', opts: { deduplication: { id: 'z0', ttl: 0 } } },
  { label: 'a negative deduplication ttl', opts: { deduplication: { id: 'zn', ttl: -5 } } },
  { label: 'extend without a ttl', opts: { deduplication: { id: 'ze', extend: true } } },
  { label: 'unknown deduplication keys', opts: { deduplication: { id: 'zu', foo: 1 } } },
  { label: 'a numeric deduplication id', opts: { deduplication: { id: 5 } } },
  { label: 'deduplication null', opts: { deduplication: null } },
  { label: 'one parent flag set, another false', opts: { failParentOnFailure: true, ignoreDependencyOnFailure: false } },
  { label: 'telemetry that is not an object', opts: { telemetry: 5 } },
  { label: 'repeatJobKey in the options', opts: { repeatJobKey: 'rk' } },
  { label: 'repeat and prevMillis in the options', opts: { repeat: { every: 1000 }, prevMillis: 5 } },
  { label: 'options null', opts: null },
  {
    label: 'null options, nested too',
    opts: { foo: null, delay: null, backoff: null, parent: null, list: [1, null, { a: null, b: 2 }], deep: { x: { y: null, w: 1 } } },
  },
  { label: 'options under their stored (abbreviated) names', opts: { kl: 4, tm: 'raw', de: null } },
  { label: 'a number as job name', name: 5 },
  { label: 'an empty job name', name: '' },
  { label: 'undefined data', data: undefined },
  { label: 'null data', data: null },
  { label: 'zero as data', data: 0 },
  { label: 'a string as data', data: 'hi' },
];

const FIELDS = ['name', 'data', 'opts', 'delay', 'priority', 'rjk', 'deid', 'parentKey', 'parent'];

/** Where a job is: the state lists and sets, read directly. */
async function placeOf(scope: Scope, queue: string, id: string): Promise<string> {
  const base = `bull:${queue}:`;
  if ((await scope.redis.lpos(`${base}wait`, id)) !== null) return 'wait';
  if ((await scope.redis.zscore(`${base}prioritized`, id)) !== null) return 'prioritized';
  if ((await scope.redis.zscore(`${base}delayed`, id)) !== null) return 'delayed';
  return 'nowhere';
}

async function stored(scope: Scope, queue: string, id: string): Promise<Record<string, unknown>> {
  const shape = hashShape(await rawJob(scope.redis, queue, id));
  const picked: Record<string, unknown> = Object.fromEntries(FIELDS.filter((f) => f in shape).map((f) => [f, shape[f]]));
  return { ...picked, place: await placeOf(scope, queue, id) };
}

describe('interop: what bullmq accepts at add, Conveyor accepts and stores the same way', () => {
  const scope = scopePerTest('interop');

  it.each(ACCEPTED)('$label', async ({ name = 'j', data = {}, opts }) => {
    const bullName = scope.name('add-bull');
    const ourName = scope.name('add-ours');
    const bull = scope.track(new BullQueue(bullName, { connection: bullConnection() }));
    const ours = scope.track(new Queue(ourName, { connection: conveyorConnection() }));
    const bullJob = await bull.add(name as string, data, opts as never);
    const ourJob = await ours.add(name as never, data, opts as never);
    expect(typeof ourJob.id).toBe('string');
    expect(await stored(scope, ourName, ourJob.id!)).toEqual(await stored(scope, bullName, bullJob.id!));
    // in memory as well: the name as given, the options as bullmq keeps them
    expect(ourJob.name).toEqual(bullJob.name);
    expect(JSON.parse(JSON.stringify(ourJob.opts))).toEqual(JSON.parse(JSON.stringify(bullJob.opts)));
  });

  it('Job.create skips the queue defaults and the waiting event, as bullmq does; Job.createBulk adds all at once', async () => {
    const bullName = scope.name('create-bull');
    const ourName = scope.name('create-ours');
    const defaultJobOptions = { attempts: 3, removeOnComplete: true };
    const bull = scope.track(new BullQueue(bullName, { connection: bullConnection(), defaultJobOptions }));
    const ours = scope.track(new Queue(ourName, { connection: conveyorConnection(), defaultJobOptions }));
    let waitingEvents = 0;
    ours.on('waiting', () => (waitingEvents += 1));

    const bullJob = await BullJob.create(bull, 'c', { a: 1 }, { priority: 3 });
    const ourJob = await Job.create(ours, 'c', { a: 1 }, { priority: 3 });
    expect(ourJob).toBeInstanceOf(Job);
    expect(await stored(scope, ourName, ourJob.id!)).toEqual(await stored(scope, bullName, bullJob.id!));
    expect(ourJob.opts).toEqual({ attempts: 0, priority: 3 });
    expect(waitingEvents).toBe(0);

    const bullBulk = await BullJob.createBulk(bull, [
      { name: 'b1', data: {} },
      { name: 'b2', data: {}, opts: { delay: 60_000, jobId: 'custom-b2' } },
    ]);
    const ourBulk = await Job.createBulk(ours, [
      { name: 'b1', data: {} },
      { name: 'b2', data: {}, opts: { delay: 60_000, jobId: 'custom-b2' } },
    ]);
    expect(ourBulk.map((j) => j.id)).toEqual([expect.any(String), 'custom-b2']);
    for (let i = 0; i < 2; i++)
      expect(await stored(scope, ourName, ourBulk[i].id!)).toEqual(await stored(scope, bullName, bullBulk[i].id!));
    expect(waitingEvents).toBe(0);

    // queue.add applies the defaults and tells listeners
    await ours.add('d', {});
    expect(waitingEvents).toBe(1);
  });

  it('jobs created by either engine read back the same through Job.fromId of the other', async () => {
    const name = scope.name('create-read');
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const byBull = await BullJob.create(bull, 'x', { v: 1 }, { timestamp: 1234567890, attempts: 2, backoff: 10 });
    const byUs = await Job.create(ours, 'x', { v: 1 }, { timestamp: 1234567890, attempts: 2, backoff: 10 });
    const theirs = (await BullJob.fromId(bull, byUs.id!))!;
    const mine = (await Job.fromId(ours, byBull.id!))!;
    for (const [read, written] of [
      [mine, byBull],
      [theirs, byUs],
    ] as const) {
      expect({ name: read.name, data: read.data, opts: read.opts, timestamp: read.timestamp }).toEqual({
        name: written.name,
        data: written.data,
        opts: { attempts: 2, backoff: { type: 'fixed', delay: 10 }, timestamp: 1234567890 },
        timestamp: 1234567890,
      });
    }
  });
});
