// QueueEvents: every event the engine writes reaches listeners as `(args, id)` and `<event>:<jobId>`.
import { Queue, QueueEvents, Worker } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, rawClient } from '../support/redis.js';
import { scopePerTest, type Closable } from '../support/scope.js';
import { until, within } from '../support/wait.js';
import { blockedReader, clientsNamed, queueEventsClientName, readerPacedProcessor, recordEmits } from './queue-events.support.js';

const STREAM_ID = /^\d+-\d+$/;

describe('QueueEvents', () => {
  const redis = rawClient();
  const scope = scopePerTest('qe');
  const queueName = () => scope.name();
  const track = <T extends Closable>(thing: T): T => scope.track(thing);

  afterAll(async () => {
    await redis.quit();
  });

  it('emits added and waiting for a new job, also as <event>:<jobId>', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const seen = recordEmits(events);
    const added = once(events, 'added');
    const waiting = once(events, 'waiting');
    const job = await queue.add('send', { to: 'a' });
    const [addedArgs, addedId] = await added;
    expect(addedArgs).toEqual({ jobId: job.id, name: 'send' });
    expect(addedId).toMatch(STREAM_ID);
    const [waitingArgs, waitingId] = await waiting;
    expect(waitingArgs).toEqual({ jobId: job.id });
    expect(seen).toEqual([
      ['added', addedArgs, addedId],
      [`added:${job.id}`, addedArgs, addedId],
      ['waiting', waitingArgs, waitingId],
      [`waiting:${job.id}`, waitingArgs, waitingId],
    ]);
    expect(waitingId > addedId).toBe(true);
  });

  it('emits delayed with the due time as a number', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const delayed = once(events, 'delayed');
    const before = Date.now();
    const job = await queue.add('later', {}, { delay: 60_000 });
    const [args] = await delayed;
    expect(args.jobId).toBe(job.id);
    expect(typeof args.delay).toBe('number');
    expect(args.delay).toBeGreaterThanOrEqual(before + 60_000);
    expect(args.delay).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('emits active, completed (returnvalue JSON-parsed) and drained with the id only', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const active = once(events, 'active');
    const completed = once(events, 'completed');
    const drained = once(events, 'drained');
    const job = await queue.add('sum', { a: 2, b: 3 });
    track(new Worker(name, async (j) => ({ sum: j.data.a + j.data.b, list: [1, 'x'] }), { connection: connection() }));
    const [activeArgs] = await active;
    expect(activeArgs).toEqual({ jobId: job.id, prev: 'waiting' });
    const [completedArgs, completedId] = await completed;
    expect(completedArgs).toEqual({ jobId: job.id, returnvalue: { sum: 5, list: [1, 'x'] }, prev: 'active' });
    const drainedArgs = await drained;
    expect(drainedArgs).toHaveLength(1);
    expect(drainedArgs[0]).toMatch(STREAM_ID);
    expect(drainedArgs[0] > completedId).toBe(true);
  });

  it('emits completed with null and scalar return values parsed', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const completed = times(events, 'completed', 3);
    await queue.addBulk([
      { name: 'undefined', data: {} },
      { name: 'number', data: {} },
      { name: 'string', data: {} },
    ]);
    const values: Record<string, unknown> = { undefined: undefined, number: 42, string: 'done' };
    track(new Worker(name, async (j) => values[j.name], { connection: connection() }));
    const results = (await completed).map(([args]) => args.returnvalue);
    expect(results).toEqual([null, 42, 'done']);
  });

  it('emits failed (raw failedReason) and retries-exhausted for a final failure', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const failed = once(events, 'failed');
    const exhausted = once(events, 'retries-exhausted');
    const job = await queue.add('boom', {}, { attempts: 1 });
    const perJob = once(events, `failed:${job.id}`);
    const worker = track(
      new Worker(
        name,
        async () => {
          throw new Error('no "json" here: {');
        },
        { connection: connection() },
      ),
    );
    worker.on('error', () => {});
    const [failedArgs, failedId] = await failed;
    expect(failedArgs).toEqual({ jobId: job.id, failedReason: 'no "json" here: {', prev: 'active' });
    expect((await perJob)[1]).toBe(failedId);
    const [exhaustedArgs, exhaustedId] = await exhausted;
    expect(exhaustedArgs).toEqual({ jobId: job.id, attemptsMade: '1' });
    expect(exhaustedId > failedId).toBe(true);
  });

  it('emits delayed (backoff) then waiting prev=delayed for each retry, failed only at the end', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const seen = recordEmits(events);
    const job = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 30 } });
    const failed = once(events, 'failed');
    const exhausted = once(events, 'retries-exhausted');
    const worker = track(
      new Worker(
        name,
        async (j) => {
          throw new Error(`attempt ${j.attemptsMade + 1}`);
        },
        { connection: connection() },
      ),
    );
    worker.on('error', () => {});
    const [failedArgs] = await failed;
    expect(failedArgs.failedReason).toBe('attempt 3');
    expect((await exhausted)[0]).toEqual({ jobId: job.id, attemptsMade: '3' });
    const forJob = seen.filter(([event]) => !event.includes(':') && event !== 'drained').map(([event, args]) => [event, args]);
    expect(forJob.map(([event]) => event)).toEqual([
      'added',
      'waiting',
      'active',
      'delayed',
      'waiting',
      'active',
      'delayed',
      'waiting',
      'active',
      'failed',
      'retries-exhausted',
    ]);
    expect(forJob[3][1]).toEqual({ jobId: job.id, delay: expect.any(Number) });
    expect(forJob[4][1]).toEqual({ jobId: job.id, prev: 'delayed' });
  });

  it('emits duplicated when a job id is added twice', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const duplicated = once(events, 'duplicated');
    const perJob = once(events, 'duplicated:order-7');
    await queue.add('order', { n: 1 }, { jobId: 'order-7' });
    await queue.add('order', { n: 2 }, { jobId: 'order-7' });
    const [args, id] = await duplicated;
    expect(args).toEqual({ jobId: 'order-7' });
    expect(await perJob).toEqual([args, id]);
  });

  it('emits waiting prev=active and stalled when the stalled checker recovers a job', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const gate = scope.gate();
    const stuck = track(
      new Worker(name, () => gate.promise, {
        connection: connection(),
        skipStalledCheck: true,
        skipLockRenewal: true,
      }),
    );
    stuck.on('error', () => {});
    const active = once(events, 'active');
    const job = await queue.add('hang', {});
    await active;
    // the lock "expires": what a crashed worker leaves behind
    await redis.del(`bull:${name}:${job.id}:lock`);
    const checker = track(new Worker(name, null, { connection: connection() }));
    expect(await checker.checkStalled()).toEqual([]); // first pass marks the active job
    await redis.del(`bull:${name}:stalled-check`); // lets the second pass run now
    const waiting = once<[{ prev?: string }, string]>(events, 'waiting', 5000, (args) => args.prev === 'active');
    const stalled = once(events, 'stalled');
    const perJob = once(events, `stalled:${job.id}`);
    expect(await checker.checkStalled()).toEqual([job.id]);
    const [waitingArgs, waitingId] = await waiting;
    expect(waitingArgs).toEqual({ jobId: job.id, prev: 'active' });
    const [stalledArgs, stalledId] = await stalled;
    expect(stalledArgs).toEqual({ jobId: job.id });
    expect(stalledId > waitingId).toBe(true);
    expect(await perJob).toEqual([stalledArgs, stalledId]);
  });

  it('emits progress with data JSON-parsed (job.updateProgress from a processor)', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const seen = recordEmits(events);
    const progress = times<[Record<string, unknown>, string]>(events, 'progress', 2);
    const job = await queue.add('long', {});
    track(
      new Worker(
        name,
        async (j) => {
          await j.updateProgress({ pct: 50, step: 'copy' });
          await j.updateProgress(75);
          return null;
        },
        { connection: connection() },
      ),
    );
    const [[first, firstId], [second, secondId]] = await progress;
    expect(first).toEqual({ jobId: job.id, data: { pct: 50, step: 'copy' } });
    expect(second).toEqual({ jobId: job.id, data: 75 });
    expect(seen.filter(([event]) => event === `progress:${job.id}`)).toEqual([
      [`progress:${job.id}`, first, firstId],
      [`progress:${job.id}`, second, secondId],
    ]);
  });

  it('emits paused and resumed with empty args', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const paused = once(events, 'paused');
    const resumed = once(events, 'resumed');
    await queue.pause();
    const [pausedArgs, pausedId] = await paused;
    expect(pausedArgs).toEqual({});
    expect(pausedId).toMatch(STREAM_ID);
    await queue.resume();
    const [resumedArgs, resumedId] = await resumed;
    expect(resumedArgs).toEqual({});
    expect(resumedId > pausedId).toBe(true);
  });

  it('emits removed with the state the job left and cleaned with the count (as a string)', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection() }));
    await events.waitUntilReady();
    const removed = times<[Record<string, unknown>, string]>(events, 'removed', 2);
    const waiting = await queue.add('w', {});
    const delayed = await queue.add('d', {}, { delay: 60_000 });
    const perJob = once(events, `removed:${delayed.id}`);
    expect(await queue.remove(waiting.id!)).toBe(1);
    expect(await queue.remove(delayed.id!)).toBe(1);
    const [[first], [second, secondId]] = await removed;
    expect(first).toEqual({ jobId: waiting.id, prev: 'wait' });
    expect(second).toEqual({ jobId: delayed.id, prev: 'delayed' });
    expect(await perJob).toEqual([second, secondId]);

    const cleaned = once(events, 'cleaned');
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
      { name: 'c', data: {} },
    ]);
    expect(await queue.clean(0, 0, 'wait')).toHaveLength(3);
    expect((await cleaned)[0]).toEqual({ count: '3' });
  });

  it('passes custom events through, with <event>:<jobId> when they carry a jobId', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    await events.waitUntilReady();
    const custom = once(events, 'invoice-sent');
    const perJob = once(events, 'invoice-sent:77');
    const plain = once(events, 'heartbeat');
    const key = `bull:${name}:events`;
    await redis.xadd(key, '*', 'event', 'invoice-sent', 'jobId', '77', 'to', 'x@example.com');
    await redis.xadd(key, '*', 'event', 'heartbeat', 'at', '123');
    const [args, id] = await custom;
    expect(args).toEqual({ jobId: '77', to: 'x@example.com' });
    expect(await perJob).toEqual([args, id]);
    expect((await plain)[0]).toEqual({ at: '123' });
  });

  it('keeps reading after a bad entry: non-JSON returnvalue stays raw, a throwing listener is reported', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    await events.waitUntilReady();
    const errors: Error[] = [];
    events.on('error', (err) => errors.push(err));
    events.once('boom', () => {
      throw new Error('listener bug');
    });
    const completed = once(events, 'completed');
    const after = once(events, 'after');
    const key = `bull:${name}:events`;
    await redis.xadd(key, '*', 'event', 'boom');
    await redis.xadd(key, '*', 'event', 'completed', 'jobId', '1', 'returnvalue', 'not json', 'prev', 'active');
    await redis.xadd(key, '*', 'event', 'after');
    expect((await completed)[0]).toEqual({ jobId: '1', returnvalue: 'not json', prev: 'active' });
    await after;
    expect(errors.map((e) => e.message)).toEqual(['listener bug']);
  });

  it('starts after lastEventId when given, and from the current end of the stream by default', async () => {
    const name = queueName();
    const key = `bull:${name}:events`;
    const first = await redis.xadd(key, '*', 'event', 'old', 'n', '1');
    const second = await redis.xadd(key, '*', 'event', 'old', 'n', '2');
    await redis.xadd(key, '*', 'event', 'old', 'n', '3');

    const fromFirst = track(new QueueEvents(name, { connection: connection(), lastEventId: first! }));
    const fromStart = track(new QueueEvents(name, { connection: connection(), lastEventId: '0' }));
    const fromNow = track(new QueueEvents(name, { connection: connection() }));
    const seenFromFirst = recordEmits(fromFirst);
    const seenFromNow = recordEmits(fromNow);
    const oldFromFirst = times(fromFirst, 'old', 2);
    const oldFromStart = times(fromStart, 'old', 3);
    await fromNow.waitUntilReady();
    const fresh = once(fromNow, 'new');
    const freshFromFirst = once(fromFirst, 'new');
    const freshId = await redis.xadd(key, '*', 'event', 'new');

    expect((await oldFromFirst).map(([args, id]) => [args.n, id])).toEqual([
      ['2', second],
      ['3', expect.any(String)],
    ]);
    expect((await oldFromStart).map(([args]) => args.n)).toEqual(['1', '2', '3']);
    expect((await fresh)[1]).toBe(freshId);
    expect(seenFromNow.map(([event]) => event)).toEqual(['new']);
    await freshFromFirst;
    expect(seenFromFirst.map(([event]) => event)).toEqual(['old', 'old', 'new']);
    expect(fromNow.lastEventId).toBe(freshId);
  });

  it('delivers entries added right after waitUntilReady resolves, also on a stream that does not exist yet', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection(), blockingTimeout: 0 }));
    await events.waitUntilReady();
    const got = once(events, 'first');
    // no wait for the blocking read to be sent: the start position is fixed already
    const id = await redis.xadd(`bull:${name}:events`, '*', 'event', 'first');
    expect((await got)[1]).toBe(id);
  });

  it('does not run before run() when autorun is false, and refuses a second run()', async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection(), autorun: false }));
    await events.waitUntilReady();
    expect(events.isRunning()).toBe(false);
    expect(await clientsNamed(redis, queueEventsClientName(name))).toEqual([]);
    const running = events.run();
    await events.waitUntilReady();
    // BullMQ's text first, so code matching on it keeps working
    await expect(events.run()).rejects.toThrow(`Queue Events is already running. (QueueEvents "${name}")`);
    const got = once(events, 'ping');
    await redis.xadd(`bull:${name}:events`, '*', 'event', 'ping');
    await got;
    await events.close();
    await expect(running).resolves.toBeUndefined();
  });

  it('names its blocking connection <prefix>:<base64(queue)>:qe and honours the prefix', async () => {
    const name = queueName();
    const prefix = `pfx-${name}`;
    scope.removeKeysOf(name, prefix);
    const events = track(new QueueEvents(name, { connection: connection(), prefix }));
    await events.waitUntilReady();
    const reader = await blockedReader(redis, name, prefix);
    expect(reader.name).toBe(`${prefix}:${Buffer.from(name).toString('base64')}:qe`);
    const got = once(events, 'here');
    await redis.xadd(`${prefix}:${name}:events`, '*', 'event', 'here');
    await got;
  });

  it('blocks on a duplicate of a client the user passed and leaves that client open', async () => {
    const name = queueName();
    const user = rawClient();
    scope.onClose(() => user.quit());
    const events = new QueueEvents(name, { connection: user });
    try {
      await events.waitUntilReady();
      const reader = await blockedReader(redis, name);
      expect(reader.id).not.toBe(String(await user.client('ID')));
      const got = once(events, 'x');
      await user.xadd(`bull:${name}:events`, '*', 'event', 'x');
      await got;
    } finally {
      await events.close();
    }
    expect(user.status).toBe('ready');
    expect(await user.ping()).toBe('PONG');
    await until(
      'the blocking connection to go away',
      () => clientsNamed(redis, queueEventsClientName(name)),
      (cs) => cs.length === 0,
    );
  });

  it('close() during a blocking read returns promptly and drops the connection', async () => {
    const name = queueName();
    // a read blocking for a minute: a close() that waited for it would outlast the test by far
    const events = new QueueEvents(name, { connection: connection(), blockingTimeout: 60_000 });
    await events.waitUntilReady();
    await blockedReader(redis, name);
    await within(events.close(), 5000, 'close() during a blocking read');
    expect(events.closed).toBe(true);
    expect(events.isRunning()).toBe(false);
    await until(
      'the blocking connection to go away',
      () => clientsNamed(redis, queueEventsClientName(name)),
      (cs) => cs.length === 0,
    );
    await expect(events.waitUntilReady()).rejects.toThrow(/closed/);
    // as BullMQ's: run() on a closed QueueEvents has nothing to read and resolves at once
    await expect(events.run()).resolves.toBeUndefined();
  });

  it("still delivers finished events with streams.events.maxLen 0, as BullMQ (the stream keeps only the last call's entries)", async () => {
    const name = queueName();
    const events = track(new QueueEvents(name, { connection: connection() }));
    const queue = track(new Queue(name, { connection: connection(), streams: { events: { maxLen: 0 } } }));
    await events.waitUntilReady();
    const completed = times(events, 'completed', 3, 5000);
    // each finish empties the stream first, so an entry lasts until the next finish: each job ends
    // once the reader has read the finish before it (bullmq's own test lets the jobs take a moment)
    track(new Worker(name, readerPacedProcessor(scope, events), { connection: connection() }));
    await queue.addBulk([1, 2, 3].map((i) => ({ name: 'job', data: { i } })));
    expect((await completed).map(([args]) => args.returnvalue)).toEqual(['ok', 'ok', 'ok']);
    const entries = await redis.xrevrange(`bull:${name}:events`, '+', '-');
    expect(entries.length).toBeLessThanOrEqual(2);
    expect(entries.map(([, fields]) => fields[1])).toEqual(['drained', 'completed'].slice(0, entries.length));
  });

  it('rejects bad options before touching Redis, naming the option and the value', () => {
    const bad: [object, RegExp][] = [
      [{ blockingTimeout: -1 }, /blockingTimeout must be >= 0, got -1/],
      [{ blockingTimeout: 1.5 }, /blockingTimeout must be an integer, got 1.5/],
      [{ lastEventId: 'abc' }, /lastEventId must be a stream id .* got "abc"/],
      [{ lastEventId: 12 }, /lastEventId must be a stream id .* got 12/],
      [{ autorun: 'yes' }, /autorun must be a boolean, got "yes"/],
      [{ prefix: '' }, /prefix must be a non-empty string/],
    ];
    for (const [opts, message] of bad) {
      expect(() => new QueueEvents('q', { connection: connection(), ...opts } as never)).toThrow(message);
    }
    expect(() => new QueueEvents('a:b', { connection: connection() })).toThrow(/Queue name cannot contain :/);
  });
});
