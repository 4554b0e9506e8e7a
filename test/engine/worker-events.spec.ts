// Worker events and lifecycle: active/completed/failed/progress/drained/ready/closing/closed/error,
// autorun and run(), pause()/resume().
import { ConveyorValidationError, Queue, QueueEvents, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';
import { until, within } from '../support/wait.js';
import { readerPacedProcessor } from './queue-events.support.js';

describe('Worker events and lifecycle', () => {
  const scope = scopePerTest();

  it('emits ready, active, progress, completed, failed and drained with BullMQ arguments', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const log: unknown[][] = [];
    const worker = new Worker(
      name,
      async (job) => {
        await job.updateProgress(50);
        await job.updateProgress({ step: 'two' });
        if (job.name === 'bad') throw new Error('bad job');
        return { ok: job.name };
      },
      { connection: connection(), autorun: false },
    );
    scope.track(worker);
    for (const event of ['ready', 'active', 'progress', 'completed', 'failed', 'drained']) {
      worker.on(event, (...args: unknown[]) =>
        log.push([
          event,
          ...args.map((a) =>
            a instanceof Error ? `Error: ${a.message}` : a && typeof a === 'object' && 'id' in a ? `job ${(a as Job).name}` : a,
          ),
        ]),
      );
    }
    await queue.add('good', {});
    await queue.add('bad', {});
    const drained = once(worker, 'drained');
    void worker.run();
    await drained;
    expect(log).toEqual([
      ['ready'],
      ['active', 'job good', 'waiting'],
      ['progress', 'job good', 50],
      ['progress', 'job good', { step: 'two' }],
      ['completed', 'job good', { ok: 'good' }, 'active'],
      ['active', 'job bad', 'waiting'],
      ['progress', 'job bad', 50],
      ['progress', 'job bad', { step: 'two' }],
      ['failed', 'job bad', 'Error: bad job', 'active'],
      ['drained'],
    ]);
  });

  it("says 'drained' once per dry spell, not on every idle wake-up", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const monitor = scope.track(await new ScriptMonitor(name, ['moveToActive']).start());
    let drained = 0;
    const worker = scope.track(new Worker(name, async () => 'ok', { connection: connection(), drainDelay: 0.2 }));
    worker.on('drained', () => {
      drained += 1;
    });
    await once(worker, 'drained');
    // several drainDelay timeouts, each followed by an empty fetch
    await until(
      'idle fetches',
      () => monitor.count('moveToActive'),
      (n) => n >= 4,
      5000,
    );
    expect(drained).toBe(1);
    await queue.add('j', {});
    await once(worker, 'drained');
    expect(drained).toBe(2);
  });

  it("autorun: false waits for run(); run() twice or without processor rejects with bullmq's texts; a closed worker's run() resolves at once", async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(new Worker(name, async () => 'ran', { connection: connection(), autorun: false }));
    expect(worker.isRunning()).toBe(false);
    const job = await queue.add('j', {});
    expect(await job.getState()).toBe('waiting');
    const completed = once(worker, 'completed');
    const running = worker.run();
    expect(worker.isRunning()).toBe(true);
    await expect(worker.run()).rejects.toThrow(new Error('Worker is already running.'));
    await completed;
    await worker.close();
    await running;
    expect(worker.isRunning()).toBe(false);
    await within(worker.run(), 1000, 'run() of a closed worker');
    expect(worker.isRunning()).toBe(false);
    const noProcessor = scope.track(new Worker(name, null, { connection: connection() }));
    await expect(noProcessor.run()).rejects.toThrow(new Error('No process function is defined.'));
  });

  it('bad options are refused before anything connects', () => {
    const name = scope.name();
    expect(() => new Worker(name, async () => 1, { concurrency: 0 })).toThrow(ConveyorValidationError);
    for (const concurrency of [0, 0.5, NaN, Infinity, '2']) {
      expect(() => new Worker(name, async () => 1, { concurrency: concurrency as number })).toThrow(
        new Error('concurrency must be a finite number greater than 0'),
      );
    }
    expect(() => new Worker(name, async () => 1, { drainDelay: 0 })).toThrow(/^drainDelay must be greater than 0, got 0$/);
    expect(() => new Worker(name, async () => 1, { drainDelay: -1 })).toThrow(/^drainDelay must be greater than 0, got -1$/);
    expect(() => new Worker(name, async () => 1, { stalledInterval: 0 })).toThrow(/^stalledInterval must be greater than 0, got 0$/);
    expect(() => new Worker(name, async () => 1, { maxStalledCount: -1 })).toThrow(
      /^maxStalledCount must be greater or equal than 0, got -1$/,
    );
    expect(() => new Worker(name, async () => 1, { maxStartedAttempts: -1 })).toThrow(
      /^maxStartedAttempts must be greater or equal than 0, got -1$/,
    );
    expect(() => new Worker(name, async () => 1, { maxStalledCount: 'a' as never })).toThrow(
      /^maxStalledCount must be greater or equal than 0, got "a"$/,
    );
    expect(() => new Worker(name, async () => 1, { maximumRateLimitDelay: -1 })).toThrow(
      /^maximumRateLimitDelay must be a number of ms >= 0, got -1$/,
    );
    expect(() => new Worker(name, async () => 1, { lockDuration: '5' as unknown as number })).toThrow(
      /lockDuration must be an integer, got "5"/,
    );
    expect(() => new Worker(name, async () => 1, { limiter: { max: 0, duration: 10 } })).toThrow(/limiter.max/);
    expect(() => new Worker(name, 42 as never)).toThrow(/processor must be a function, a file path or a file: URL, got 42/);
    expect(() => new Worker(name, 'file.js')).toThrow(/processor file .*file\.js does not exist/);
    const worker = scope.track(new Worker(name, async () => 1, { connection: connection(), autorun: false }));
    expect(() => {
      worker.concurrency = 0;
    }).toThrow(new Error('concurrency must be a finite number greater than 0'));
    expect(worker.concurrency).toBe(1);
  });

  it('accepts fractions where bullmq does: concurrency 1.5 runs two jobs at once, maxStalledCount/stalledInterval/drainDelay fractions', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const worker = scope.track(
      new Worker(name, async () => gate.promise, {
        connection: connection(),
        concurrency: 1.5,
        maxStalledCount: 1.5,
        stalledInterval: 500.5,
        drainDelay: 0.5,
      }),
    );
    expect(worker.concurrency).toBe(1.5);
    // bullmq's internal runRetryDelay is accepted (and type-checks), though not used
    scope.track(new Worker(name, null, { connection: connection(), autorun: false, runRetryDelay: 15_000 }));
    const active = times(worker, 'active', 2);
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: { n } })));
    await active;
    expect(await scope.redis.llen(`bull:${name}:active`)).toBe(2);
    expect(await scope.redis.llen(`bull:${name}:wait`)).toBe(1);
    gate.resolve();
    await times(worker, 'completed', 3);
  });

  it('pause() stops taking jobs after the active ones finish; resume() continues', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const ran: string[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job) => {
          ran.push(job.name);
          if (job.name === 'first') await gate.promise;
        },
        { connection: connection() },
      ),
    );
    const active = once(worker, 'active');
    await queue.add('first', {});
    await active;
    let pausedDone = false;
    const pausing = worker.pause().then(() => {
      pausedDone = true;
    });
    expect(worker.isPaused()).toBe(true);
    await queue.add('second', {});
    expect(pausedDone).toBe(false);
    gate.resolve();
    await pausing;
    // the finish of 'first' did not fetch 'second', and nothing fetches while paused
    expect(ran).toEqual(['first']);
    const second = (await queue.getJobs(['wait']))[0];
    expect(second.name).toBe('second');
    const completed = once<[Job]>(worker, 'completed');
    worker.resume();
    expect(worker.isPaused()).toBe(false);
    const [job] = await completed;
    expect(job.name).toBe('second');
    expect(ran).toEqual(['first', 'second']);
  });

  it('as in bullmq, pause() ends the loop: run() resolves and isRunning() is false once the jobs in hand are done; resume() starts it again', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const gate = scope.gate();
    const worker = scope.track(
      new Worker(name, async (job) => (job.name === 'held' ? gate.promise : 'ok'), {
        connection: connection(),
        autorun: false,
        concurrency: 2,
      }),
    );
    let runEnded = false;
    const run = worker.run().then(() => (runEnded = true));
    expect(worker.isRunning()).toBe(true);
    const active = times(worker, 'active', 2);
    await queue.addBulk([
      { name: 'held', data: {} },
      { name: 'held', data: {} },
      { name: 'later', data: {} },
    ]);
    await active;

    // pause(true) resolves at once; the worker still runs the jobs in hand
    await worker.pause(true);
    expect(worker.isRunning()).toBe(true);
    gate.resolve();
    await within(run, 3000, 'run() after pause');
    expect(runEnded).toBe(true);
    expect(worker.isRunning()).toBe(false);
    expect(await queue.getActiveCount()).toBe(0);
    expect(await queue.getWaitingCount()).toBe(1);
    await expect(worker.run()).resolves.toBeUndefined();

    const completed = once<[Job]>(worker, 'completed');
    await worker.resume();
    expect(worker.isRunning()).toBe(true);
    expect((await completed)[0].name).toBe('later');
  });

  it('isRunning() after pause(true) on an idle worker: true until the loop has ended; after pause(): false (as bullmq)', async () => {
    const name = scope.name();
    const queue = scope.queue(name);
    const worker = scope.track(new Worker(name, async () => 'ok', { connection: connection() }));
    const completed = once(worker, 'completed');
    await queue.add('first', {});
    await completed;
    await worker.pause(true);
    expect([worker.isPaused(), worker.isRunning()]).toEqual([true, true]);
    await until(
      'the loop ended',
      () => worker.isRunning(),
      (running) => !running,
    );
    await worker.resume();
    expect([worker.isPaused(), worker.isRunning()]).toEqual([false, true]);
    await worker.pause();
    expect([worker.isPaused(), worker.isRunning()]).toEqual([true, false]);
  });

  it('with streams.events.maxLen 0 QueueEvents still gets each completion, and the stream keeps only the last finish (as bullmq)', async () => {
    const name = scope.name();
    const events = scope.track(new QueueEvents(name, { connection: connection() }));
    await events.waitUntilReady();
    const queue = scope.track(new Queue(name, { connection: connection(), streams: { events: { maxLen: 0 } } }));
    await queue.waitUntilReady();
    // with a cap of 0 each finish empties the stream first, so a reader must have read the
    // previous one by then (as with bullmq): each job ends once the reader has
    scope.track(new Worker(name, readerPacedProcessor(scope, events), { connection: connection() }));
    const completed = times<[{ jobId: string }]>(events, 'completed', 3, 8000);
    const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: { n } })));
    expect((await completed).map(([e]) => e.jobId).sort()).toEqual(jobs.map((j) => j.id).sort());
    // the last finish wrote both (one script): nothing older is left
    const last = await until(
      'the last finish in the stream',
      () => scope.redis.xrevrange(`bull:${name}:events`, '+', '-'),
      (s) => s[0]?.[1][1] === 'drained',
    );
    expect(last.map(([, fields]) => fields[1])).toEqual(['drained', 'completed']);
  });

  it("emits 'closing' then 'closed'; error events carry Error objects", async () => {
    const name = scope.name();
    const worker = new Worker(name, async () => 1, { connection: connection() });
    await once(worker, 'ready');
    const events: string[] = [];
    worker.on('closing', (msg) => events.push(`closing:${msg}`));
    worker.on('closed', () => events.push('closed'));
    await worker.close();
    expect(events).toEqual(['closing:closing worker', 'closed']);
    // close() is idempotent
    await worker.close();
    expect(events).toHaveLength(2);
  });

  it('a listener that throws does not break the worker; the throw becomes an error event', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(new Worker(name, async (job) => job.name, { connection: connection() }));
    worker.on('completed', () => {
      throw new Error('listener bug');
    });
    const errors = times<[Error]>(worker, 'error', 2);
    await queue.add('a', {});
    await queue.add('b', {});
    const [[first], [second]] = await errors;
    expect(first.message).toBe('listener bug');
    expect(second.message).toBe('listener bug');
    expect(worker.activeJobs).toHaveLength(0);
    expect(await scope.redis.zcard(`bull:${name}:completed`)).toBe(2);
  });
});
