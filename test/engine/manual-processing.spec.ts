// Manual processing (a Worker without processor, autorun: false): getNextJob with and without
// blocking, job.moveToCompleted / moveToFailed with fetch-next (the worker's own finish code),
// Job.fromJSON, lock extension and the stalled checker started by hand.
import { ConveyorValidationError, Job, UnrecoverableError, Worker } from '../../lib/index.js';
import { hashShape } from '../interop/support.js';
import { once } from '../support/events.js';
import { RecordingTelemetry } from '../support/recording-telemetry.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { until, within } from '../support/wait.js';
import { eventLines, lists } from './outcomes-support.js';
import { clientsNamed } from './queue-events.support.js';

describe('Manual processing', () => {
  const scope = scopePerTest();

  function manualWorker(name: string, opts: Record<string, unknown> = {}): Worker {
    const w = scope.track(new Worker(name, null, { connection: connection(), autorun: false, ...opts }));
    w.on('error', () => {});
    return w;
  }

  /** Until the worker's blocking connection sits in BZPOPMIN (only a marker or drainDelay wakes it). */
  async function blockedOnMarker(name: string): Promise<void> {
    const clientName = `bull:${Buffer.from(name).toString('base64')}`;
    await until(
      'the worker to block on the marker',
      () => clientsNamed(scope.redis, clientName),
      (c) => c.some((x) => x.cmd === 'bzpopmin' && x.flags.includes('b')),
    );
  }

  describe('getNextJob', () => {
    it('takes a job into active, locked with the token for lockDuration, and says active', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { lockDuration: 8000, name: 'by-hand' });
      const added = await queue.add('a', { n: 1 });
      const active = once<[Job, string]>(w, 'active', 5000);
      const job = (await w.getNextJob('my-token'))!;
      expect(job.id).toBe(added.id);
      expect(job.data).toEqual({ n: 1 });
      expect(job.token).toBe('my-token');
      expect(job.attemptsStarted).toBe(1);
      expect((await active)[0]).toBe(job);
      const lockKey = `bull:${queue.name}:${job.id}:lock`;
      expect(await scope.redis.get(lockKey)).toBe('my-token');
      expect(await scope.redis.pttl(lockKey)).toBeGreaterThan(7000);
      expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'pb')).toBe('by-hand');
      expect((await lists(scope.redis, queue.name)).active).toEqual([job.id]);
      // not the worker's: no renewal, no processing
      expect(w.activeJobs).toEqual([]);
    });

    it('block: false answers undefined at once on an empty queue (and says drained)', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 30 });
      const drained = once(w, 'drained', 5000);
      expect(await within(w.getNextJob('t', { block: false }), 3000, 'getNextJob without block')).toBeUndefined();
      await drained;
    });

    it("a fetch writes no meta, as bullmq's: a worker polling a queue obliterated under it leaves no key behind; a finish writes the events cap", async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {});
      expect(await w.getNextJob('tok', { block: false })).toBeDefined();
      await queue.obliterate({ force: true });
      expect(await scope.redis.keys(`bull:${queue.name}:*`)).toEqual([]);
      expect(await w.getNextJob('tok', { block: false })).toBeUndefined();
      expect(await scope.redis.keys(`bull:${queue.name}:*`)).toEqual([]);
      // a finish does write it (getOrSetMaxEvents, as bullmq's finish)
      await queue.add('b', {});
      await scope.redis.del(`bull:${queue.name}:meta`);
      const next = (await w.getNextJob('tok2', { block: false }))!;
      expect(next.name).toBe('b');
      expect(await scope.redis.exists(`bull:${queue.name}:meta`)).toBe(0);
      await next.moveToCompleted('done', 'tok2', false);
      expect(await scope.redis.hgetall(`bull:${queue.name}:meta`)).toEqual({ 'opts.maxLenEvents': '10000' });
    });

    it('blocks on the marker until a job is added, then takes it', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 30 });
      const next = w.getNextJob('t');
      await blockedOnMarker(queue.name);
      const added = await queue.add('late', {});
      const job = await within(next, 5000, 'getNextJob');
      expect(job?.id).toBe(added.id);
      expect(await scope.redis.get(`bull:${queue.name}:${added.id}:lock`)).toBe('t');
    });

    it('waits for a delayed job that becomes due before drainDelay', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 30 });
      const added = await queue.add('soon', {}, { delay: 400 });
      const started = Date.now();
      const job = await within(w.getNextJob('t'), 5000, 'getNextJob');
      expect(job?.id).toBe(added.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('gives up after drainDelay when nothing comes', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 1 });
      const started = Date.now();
      expect(await within(w.getNextJob('t'), 5000, 'getNextJob')).toBeUndefined();
      // at least drainDelay; the within() above is what says it ends
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it('close() ends a blocked getNextJob at once with undefined', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 30 });
      const next = w.getNextJob('t');
      await blockedOnMarker(queue.name);
      await within(w.close(), 3000, 'close()');
      expect(await within(next, 3000, 'getNextJob after close')).toBeUndefined();
      expect(await w.getNextJob('t')).toBeUndefined();
    });

    it('a paused worker hands out nothing (the job stays waiting), with or without block; resume() lets it take jobs again', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 30 });
      const added = await queue.add('a', {});
      await w.pause();
      expect(await w.getNextJob('t', { block: false })).toBeUndefined();
      expect(await within(w.getNextJob('t'), 1000, 'a blocking getNextJob while paused')).toBeUndefined();
      expect((await lists(scope.redis, queue.name)).wait).toEqual([added.id]);
      w.resume();
      expect((await w.getNextJob('t', { block: false }))?.id).toBe(added.id);
    });

    it('a scheduler iteration taken by hand gets its next iteration, as a worker would', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.upsertJobScheduler('tick', { every: 60_000 });
      const first = (await w.getNextJob('t', { block: false }))!;
      expect(first.repeatJobKey).toBe('tick');
      const iterations = (await lists(scope.redis, queue.name)).delayed.map(([id]) => id);
      expect(iterations).toHaveLength(1);
      expect(iterations[0]).toMatch(/^repeat:tick:\d+$/);
      expect(iterations[0]).not.toBe(first.id);
    });
  });

  describe('moveToCompleted / moveToFailed', () => {
    it('moveToCompleted fetches the next job with the same token; Job.fromJSON makes it a Job; [] once none is left', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { name: 'hand' });
      const added = await queue.addBulk([1, 2, 3].map((n) => ({ name: `j${n}`, data: { n }, opts: { attempts: 2 } })));
      let job = (await w.getNextJob('tok'))!;
      const seen: number[] = [];
      for (;;) {
        seen.push(job.data.n);
        const reply = await job.moveToCompleted({ doubled: job.data.n * 2 }, 'tok');
        expect(job.returnvalue).toEqual({ doubled: job.data.n * 2 });
        expect(job.attemptsMade).toBe(1);
        if (reply.length === 0) break;
        const [data, id, limitUntil, delayUntil] = reply;
        expect([limitUntil, delayUntil]).toEqual([0, 0]);
        expect(data).toMatchObject({
          name: `j${seen.length + 1}`,
          data: JSON.stringify({ n: seen.length + 1 }),
          attemptsStarted: 1,
          attemptsMade: 0,
          processedBy: 'hand',
        });
        expect(data!.opts).toMatchObject({ attempts: 2 });
        job = Job.fromJSON(w, data!, id as string);
        // the same fields as reading the job back
        const stored = (await queue.getJob(job.id!))!;
        expect(job.toJSON()).toEqual({ ...stored.toJSON() });
        expect(await scope.redis.get(`bull:${queue.name}:${job.id}:lock`)).toBe('tok');
      }
      expect(seen).toEqual([1, 2, 3]);
      const state = await lists(scope.redis, queue.name);
      expect(state.completed.sort()).toEqual(added.map((j) => j.id).sort());
      expect(await scope.redis.hget(`bull:${queue.name}:${added[0].id}`, 'returnvalue')).toBe('{"doubled":2}');
      // the last finish fetched nothing: the queue is drained
      expect((await eventLines(scope.redis, queue.name)).at(-1)).toBe('drained');
    });

    it('moveToCompleted(value, token, false) fetches nothing: the next job stays waiting', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {});
      const b = await queue.add('b', {});
      const job = (await w.getNextJob('tok'))!;
      expect(await job.moveToCompleted('done', 'tok', false)).toEqual([]);
      const state = await lists(scope.redis, queue.name);
      expect(state.wait).toEqual([b.id]);
      expect(state.completed).toEqual([job.id]);
    });

    it('moveToFailed retries with the backoff as a worker does, then fails for good (retries-exhausted)', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { drainDelay: 5 });
      const added = await queue.add('f', {}, { attempts: 2, backoff: { type: 'fixed', delay: 300 } });
      let job = (await w.getNextJob('tok'))!;
      expect(await job.moveToFailed(new Error('first try'), 'tok')).toEqual([]);
      let hash = await scope.redis.hgetall(`bull:${queue.name}:${added.id}`);
      expect([hash.atm, hash.failedReason, hash.delay]).toEqual(['1', 'first try', '300']);
      expect(JSON.parse(hash.stacktrace)[0]).toMatch(/^Error: first try\n/);
      expect((await lists(scope.redis, queue.name)).delayed.map(([id]) => id)).toEqual([added.id]);
      expect(job.attemptsMade).toBe(1);
      // due after the backoff: a blocking getNextJob waits for it
      job = (await w.getNextJob('tok2'))!;
      expect(job.id).toBe(added.id);
      expect(job.attemptsStarted).toBe(2);
      expect(await job.moveToFailed(new Error('second try'), 'tok2')).toEqual([]);
      hash = await scope.redis.hgetall(`bull:${queue.name}:${added.id}`);
      expect([hash.atm, hash.failedReason]).toEqual(['2', 'second try']);
      expect(JSON.parse(hash.stacktrace)).toHaveLength(2);
      expect((await lists(scope.redis, queue.name)).failed).toEqual([added.id]);
      const tail = (await streamEvents(scope.redis, queue.name)).slice(-3);
      expect(tail).toEqual([
        { event: 'failed', jobId: added.id, failedReason: 'second try', prev: 'active' },
        { event: 'retries-exhausted', jobId: added.id, attemptsMade: '2' },
        { event: 'drained' },
      ]);
    });

    it("moveToFailed uses the worker's options: backoffStrategy, removeOnFail; UnrecoverableError is final", async () => {
      const queue = scope.queue();
      const strategyCalls: number[] = [];
      const w = manualWorker(queue.name, {
        removeOnFail: true,
        settings: { backoffStrategy: (attemptsMade: number) => (strategyCalls.push(attemptsMade), 60_000) },
      });
      const custom = await queue.add('c', {}, { attempts: 3, backoff: { type: 'custom' } });
      const fatal = await queue.add('u', {}, { attempts: 3 });
      const first = (await w.getNextJob('tok'))!;
      await first.moveToFailed(new Error('retry me'), 'tok');
      expect(strategyCalls).toEqual([1]);
      const [[delayedId, score]] = (await lists(scope.redis, queue.name)).delayed;
      expect(delayedId).toBe(custom.id);
      expect(Math.floor(score / 4096) - Date.now()).toBeGreaterThan(50_000);
      const second = (await w.getNextJob('tok'))!;
      expect(second.id).toBe(fatal.id);
      await second.moveToFailed(new UnrecoverableError('fatal'), 'tok');
      // final and removeOnFail: true (the worker's option): gone at once
      expect(await scope.redis.exists(`bull:${queue.name}:${fatal.id}`)).toBe(0);
      expect((await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'failed')).toEqual([
        { event: 'failed', jobId: fatal.id, failedReason: 'fatal', prev: 'active' },
      ]);
    });

    it('moveToFailed with fetchNext takes the next job after a delayed retry, but none after a retry at once (as bullmq)', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {}, { attempts: 2 });
      await queue.add('later', {}, { attempts: 2, backoff: 60_000 });
      const c = await queue.add('c', {});
      const a = (await w.getNextJob('tok'))!;
      // retried at once: bullmq 6.7 fetches nothing, and neither is anything left locked in active
      expect(await a.moveToFailed(new Error('again'), 'tok', true)).toBeUndefined();
      expect(await queue.getJobCounts('active', 'wait')).toEqual({ active: 0, wait: 3 });
      const later = (await w.getNextJob('tok2'))!;
      expect(later.name).toBe('later');
      const [data, id] = (await later.moveToFailed(new Error('again'), 'tok2', true))!;
      expect(id).toBe(c.id);
      expect(data!.name).toBe('c');
      expect(await scope.redis.get(`bull:${queue.name}:${c.id}:lock`)).toBe('tok2');
      expect(await queue.getJobCounts('active', 'wait', 'delayed')).toEqual({ active: 1, wait: 1, delayed: 1 });
    });

    it('moveToFailed with fetchNext answers [] after a delayed retry that found no job, delayed jobs or not (as bullmq)', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {}, { attempts: 3, backoff: 300 });
      await queue.add('much-later', {}, { delay: 60_000 });
      const a = (await w.getNextJob('tok'))!;
      // a finish answers [null, 0, 0, <next delayed>] here; bullmq 6.7's delayed retry gives []
      expect(await a.moveToFailed(new Error('again'), 'tok', true)).toEqual([]);
      expect(await a.isDelayed()).toBe(true);
    });

    it('a processor and a hand finish leave the same job hash (one code path)', async () => {
      const byWorker = scope.queue();
      const byHand = scope.queue();
      for (const q of [byWorker, byHand]) {
        await q.add('ok', { v: 1 }, { attempts: 2 });
        await q.add('bad', { v: 2 }, { attempts: 2, backoff: 250 });
      }
      const processing = scope.track(
        new Worker(
          byWorker.name,
          async (job) => {
            if (job.name === 'bad') throw new Error('broken');
            return { v: job.data.v };
          },
          { connection: connection(), name: 'same' },
        ),
      );
      processing.on('error', () => {});
      await once(processing, 'failed', 5000);
      await processing.close();
      const w = manualWorker(byHand.name, { name: 'same' });
      const ok = (await w.getNextJob('t'))!;
      const [data, id] = await ok.moveToCompleted({ v: 1 }, 't');
      await Job.fromJSON(w, data!, id as string).moveToFailed(new Error('broken'), 't');
      for (const id of ['1', '2']) {
        const [a, b] = [await scope.redis.hgetall(`bull:${byWorker.name}:${id}`), await scope.redis.hgetall(`bull:${byHand.name}:${id}`)];
        expect(hashShape(b)).toEqual(hashShape(a));
      }
    });

    it('a wrong token is refused with the lock error and writes nothing', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {});
      await queue.add('b', {});
      const job = (await w.getNextJob('mine'))!;
      const before = await snapshotQueue(scope.redis, queue.name);
      await expect(job.moveToCompleted('x', 'theirs')).rejects.toThrow(`Lock mismatch for job ${job.id}. Cmd moveToFinished from active`);
      await expect(job.moveToFailed(new Error('x'), 'theirs')).rejects.toThrow(
        `Lock mismatch for job ${job.id}. Cmd moveToFinished from active`,
      );
      expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
    });
  });

  describe('processJob', () => {
    it("runs the processor for a job taken by hand, stores the outcome through the job's moveTo* methods, and hands over the next job", async () => {
      const queue = scope.queue();
      const w = scope.track(
        new Worker(
          queue.name,
          async (job) => {
            if (job.name === 'bad') throw new Error('bad job');
            return `done ${job.name}`;
          },
          { connection: connection(), autorun: false },
        ),
      );
      const [a, b] = await queue.addBulk([
        { name: 'a', data: {} },
        { name: 'bad', data: {} },
      ]);
      const events: string[] = [];
      for (const e of ['completed', 'failed']) w.on(e, (job: Job) => events.push(`${e}:${job.name}`));
      const first = (await w.getNextJob('tok', { block: false }))!;
      const next = await w.processJob(first, 'tok', () => true);
      expect(first.returnvalue).toBe('done a');
      expect(await queue.getJobState(a.id!)).toBe('completed');
      expect(next).toBeInstanceOf(Job);
      expect(next!.id).toBe(b.id);
      expect(await scope.redis.get(`bull:${queue.name}:${b.id}:lock`)).toBe('tok');
      expect(await w.processJob(next!, 'tok', () => false)).toBeUndefined();
      expect(await queue.getJobState(b.id!)).toBe('failed');
      expect((await queue.getJob(b.id!))!.failedReason).toBe('bad job');
      expect(events).toEqual(['completed:a', 'failed:bad']);
    });

    it("is traced as the loop's jobs are: a 'process <queue>' span with the outcome", async () => {
      const queue = scope.queue();
      const recorder = new RecordingTelemetry('w');
      const w = scope.track(
        new Worker(queue.name, async () => 'traced', { connection: connection(), autorun: false, telemetry: recorder }),
      );
      await queue.add('a', {});
      const job = (await w.getNextJob('tok', { block: false }))!;
      await w.processJob(job, 'tok', () => false);
      const span = recorder.spans.find((sp) => sp.name === `process ${queue.name}`)!;
      expect(span.ended).toBe(true);
      expect(span.events.map((e) => e.name)).toEqual(['job completed']);
    });
  });

  describe('locks and stalls by hand', () => {
    it('extendJobLocks renews the locks held with their tokens and lists the others', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { lockDuration: 1000 });
      await queue.addBulk([
        { name: 'a', data: {} },
        { name: 'b', data: {} },
      ]);
      const a = (await w.getNextJob('ta'))!;
      const b = (await w.getNextJob('tb'))!;
      expect(await w.extendJobLocks([a.id!, b.id!, 'missing'], ['ta', 'wrong', 'x'], 60_000)).toEqual([b.id, 'missing']);
      expect(await scope.redis.pttl(`bull:${queue.name}:${a.id}:lock`)).toBeGreaterThan(50_000);
      expect(await scope.redis.pttl(`bull:${queue.name}:${b.id}:lock`)).toBeLessThanOrEqual(1000);
      expect(await w.extendJobLocks([], [], 1000)).toEqual([]);
    });

    it('startStalledCheckTimer recovers a job whose lock is gone, after two checks', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { stalledInterval: 300 });
      await queue.add('a', {});
      const job = (await w.getNextJob('t'))!;
      await scope.redis.del(`bull:${queue.name}:${job.id}:lock`);
      const stalled = once<[string, string]>(w, 'stalled', 5000);
      await w.startStalledCheckTimer();
      // once is enough: a second call does not start a second timer
      await w.startStalledCheckTimer();
      expect(await scope.redis.smembers(`bull:${queue.name}:stalled`)).toEqual([job.id]);
      expect((await stalled)[0]).toBe(job.id);
      expect((await lists(scope.redis, queue.name)).wait).toEqual([job.id]);
      expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'stc')).toBe('1');
    });

    it('moveStalledJobsToWait runs one pass of the stalled checker: stalled events and the ids, past maxStalledCount a deferred failure', async () => {
      const queue = scope.queue();
      const w = manualWorker(queue.name, { stalledInterval: 60_000, maxStalledCount: 0 });
      await queue.add('a', {});
      const job = (await w.getNextJob('t'))!;
      await scope.redis.del(`bull:${queue.name}:${job.id}:lock`);
      const stalled = once<[string, string]>(w, 'stalled', 5000);
      // the first pass marks the active jobs, the next one (once the interval's key is gone) recovers
      expect(await w.moveStalledJobsToWait()).toEqual([]);
      expect(await w.moveStalledJobsToWait()).toEqual([]);
      await scope.redis.del(`bull:${queue.name}:stalled-check`);
      expect(await w.moveStalledJobsToWait()).toEqual([job.id]);
      expect(await stalled).toEqual([job.id, 'active']);
      const again = (await w.getNextJob('t', { block: false }))!;
      expect(again.id).toBe(job.id);
      expect(again.deferredFailure).toBe('job stalled more than allowable limit');
    });
  });

  describe('bad input names the option and the value, and writes nothing', () => {
    const cases: [string, (w: Worker, job: Job) => Promise<unknown>, RegExp][] = [
      ['getNextJob("")', (w) => w.getNextJob(''), /^token must be the lock token .*, got ""$/],
      ['getNextJob block "yes"', (w) => w.getNextJob('t', { block: 'yes' as never }), /^block must be a boolean, got "yes"$/],
      [
        'getNextJob unknown option',
        (w) => w.getNextJob('t', { wait: true } as never),
        /^getNextJob options.wait is not a known option \(block\)$/,
      ],
      [
        'moveToCompleted no token',
        (_, j) => j.moveToCompleted('x', undefined as never),
        /^token must be the lock token .*, got undefined$/,
      ],
      ['moveToCompleted fetchNext "no"', (_, j) => j.moveToCompleted('x', 't', 'no' as never), /^fetchNext must be a boolean, got "no"$/],
      [
        'moveToCompleted circular value',
        (_, j) => {
          const value: Record<string, unknown> = {};
          value.self = value;
          return j.moveToCompleted(value, 't');
        },
        /^return value of job \S+ cannot be stored as JSON: /,
      ],
      ['moveToFailed token 1', (_, j) => j.moveToFailed(new Error('x'), 1 as never), /^token must be the lock token .*, got 1$/],
      [
        'extendJobLocks uneven',
        (w) => w.extendJobLocks(['1', '2'], ['t'], 1000),
        /^tokens must be an array with one token per job id \(2\), got \["t"\]$/,
      ],
      [
        'extendJobLocks ids not an array',
        (w) => w.extendJobLocks('1' as never, ['t'], 1000),
        /^jobIds must be an array of job ids \(non-empty strings\), got "1"$/,
      ],
      ['extendJobLocks duration 0', (w) => w.extendJobLocks(['1'], ['t'], 0), /^duration must be >= 1, got 0$/],
      ['extendJobLocks empty token', (w) => w.extendJobLocks(['1'], [''], 1000), /^tokens\[0\] must be the lock token .*, got ""$/],
    ];
    it.each(cases)('%s', async (_label, call, message) => {
      const queue = scope.queue();
      const w = manualWorker(queue.name);
      await queue.add('a', {});
      await queue.add('b', {});
      const job = (await w.getNextJob('t'))!;
      const before = await snapshotQueue(scope.redis, queue.name);
      const err = await call(w, job).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
      expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
    });

    it('getNextJob on a worker that runs its own loop is refused', async () => {
      const queue = scope.queue();
      const w = scope.track(new Worker(queue.name, async () => 'x', { connection: connection() }));
      await expect(w.getNextJob('t')).rejects.toThrow(
        /^getNextJob\(\) is for a worker driven by hand, but worker "[^"]+" runs its own loop/,
      );
    });
  });
});
