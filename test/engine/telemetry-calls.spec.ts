// The spans bullmq 6.7 makes for the calls of a Queue and a Worker with telemetry, and for their
// background work (stalled checks, lock renewal), with an in-memory recording tracer: names,
// kinds, attributes and events as bullmq's, background spans detached from the caller's context,
// a refused call's exception recorded.
import { ConveyorValidationError, Queue, QueueEvents, SpanKind, TelemetryAttributes as A, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { RecordingTelemetry, type RecordedSpan } from '../support/recording-telemetry.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

/** A span's attributes without the two every span has. */
function own(span: RecordedSpan): Record<string, unknown> {
  const { [A.QueueName]: _queue, [A.QueueOperation]: _operation, ...rest } = span.attributes;
  return rest;
}

describe('telemetry of queue and worker calls', () => {
  const scope = scopePerTest();

  it("queue calls: bullmq's span names, kinds and attributes (clean counts, it lists no ids)", async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('q');
    const queue = new Queue(name, { connection: connection(), telemetry: recorder });
    scope.track(queue);
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await queue.pause();
    await queue.resume();
    expect(await queue.clean(0, 0, 'wait')).toHaveLength(2);
    const removable = await queue.add('r', {});
    await queue.remove(removable.id!);
    await queue.add('d', {}, { delay: 60_000 });
    await queue.promoteJobs();
    await queue.retryJobs({ state: 'failed' });
    await queue.trimEvents(100);
    await queue.rateLimit(10);
    await queue.removeDeduplicationKey('dedup-1');
    await queue.drain(true);
    await queue.obliterate({ force: true });
    await queue.close();
    const seen = recorder.spans.filter((s) => !s.name.startsWith('add')).map((s) => [s.name.replace(name, 'Q'), s.kind, own(s)]);
    expect(seen).toEqual([
      ['pause Q', SpanKind.INTERNAL, {}],
      ['resume Q', SpanKind.INTERNAL, {}],
      ['clean Q', SpanKind.INTERNAL, { [A.QueueGrace]: 0, [A.JobType]: 'wait', [A.QueueCleanLimit]: 0, [A.QueueCleanCount]: 2 }],
      ['remove Q', SpanKind.INTERNAL, { [A.JobId]: removable.id, [A.JobOptions]: '{"removeChildren":true}' }],
      ['promoteJobs Q', SpanKind.INTERNAL, { [A.QueueOptions]: '{}' }],
      ['retryJobs Q', SpanKind.PRODUCER, { [A.QueueOptions]: '{"state":"failed"}' }],
      ['trimEvents Q', SpanKind.INTERNAL, { [A.QueueEventMaxLength]: 100 }],
      ['rateLimit Q', SpanKind.INTERNAL, { [A.QueueRateLimit]: 10 }],
      ['removeDeduplicationKey Q', SpanKind.INTERNAL, { [A.DeduplicationKey]: 'dedup-1' }],
      ['drain Q', SpanKind.INTERNAL, { [A.QueueDrainDelay]: true }],
      ['obliterate Q', SpanKind.INTERNAL, {}],
      ['close Q', SpanKind.INTERNAL, {}],
    ]);
    for (const span of recorder.spans) expect(span.ended).toBe(true);
  });

  it('a refused queue call ends its span with the exception; the call is refused as without telemetry', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('q');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    const refusal = await queue.clean(-1, 0).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(ConveyorValidationError);
    const span = recorder.one(`clean ${name}`);
    expect(span.ended).toBe(true);
    expect(span.exceptions).toEqual([refusal]);
    expect(span.attributes[A.QueueCleanCount]).toBeUndefined();
  });

  it("QueueEvents given a telemetry option works and, as bullmq's, makes no span", async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('e');
    // bullmq 6.7's QueueEventsOptions type leaves telemetry out; its QueueEvents ignores one at run time
    const events = new QueueEvents(name, { connection: connection(), telemetry: recorder } as never);
    await events.waitUntilReady();
    const added = once(events, 'added');
    await scope.track(new Queue(name, { connection: connection() })).add('seen', {});
    await added;
    await events.close();
    expect(recorder.calls).toBe(0);
  });

  it('worker calls: pause, resume, rateLimit and close spans carry the worker id (and name, as bullmq)', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('w');
    const worker = new Worker(name, null, { connection: connection(), telemetry: recorder, autorun: false, name: 'wk' });
    await worker.pause(true);
    worker.resume();
    await worker.rateLimit(5);
    await worker.close();
    const worker2 = new Worker(name, null, { connection: connection(), telemetry: recorder, autorun: false });
    await worker2.close(true);
    const who = { [A.WorkerId]: worker.id, [A.WorkerName]: 'wk' };
    expect(recorder.spans.map((s) => [s.name.replace(name, 'Q'), own(s)])).toEqual([
      ['pause Q', { ...who, [A.WorkerDoNotWaitActive]: true }],
      ['resume Q', who],
      // bullmq names no worker on this one
      ['rateLimit Q', { [A.WorkerId]: worker.id, [A.WorkerRateLimit]: 5 }],
      ['close Q', { ...who, [A.WorkerForceClose]: false }],
      ['close Q', { [A.WorkerId]: worker2.id, [A.WorkerName]: undefined, [A.WorkerForceClose]: true }],
    ]);
  });

  it("the stalled checker: one detached moveStalledJobsToWait span per pass, a 'job stalled' event per job it moved", async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('w');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const job = await queue.add('stuck', {});
    // a worker that took the job and died: its lock runs out
    const dead = scope.track(new Worker(name, null, { connection: connection(), autorun: false, lockDuration: 30 }));
    await dead.getNextJob('dead-token');
    await until(
      'the dead lock to expire',
      () => scope.redis.exists(`bull:${name}:${job.id}:lock`),
      (n) => n === 0,
    );
    // driven inside an application span: the checker's spans must not join it
    const outer = { traceId: 'outer-trace', spanId: 'outer-span' };
    const checker = scope.track(
      new Worker(name, null, { connection: connection(), telemetry: recorder, autorun: false, skipStalledCheck: true }),
    );
    const passes: string[][] = [];
    for (let i = 0; i < 2; i++) {
      await scope.redis.del(`bull:${name}:stalled-check`);
      passes.push(await recorder.contextManager.with(outer, () => checker.checkStalled()));
    }
    expect(passes).toEqual([[], [job.id]]);
    const spans = recorder.named(`moveStalledJobsToWait ${name}`);
    expect(spans.map(own)).toEqual([
      { [A.WorkerId]: checker.id, [A.WorkerName]: undefined, [A.WorkerStalledJobs]: [] },
      { [A.WorkerId]: checker.id, [A.WorkerName]: undefined, [A.WorkerStalledJobs]: [job.id] },
    ]);
    expect(spans[1].events).toEqual([{ name: 'job stalled', attributes: { [A.JobId]: job.id } }]);
    for (const span of spans) {
      expect(span.parentId).toBeUndefined();
      expect(span.traceId).not.toBe('outer-trace');
    }
    // called by hand (bullmq's tests do): the same span
    await scope.redis.del(`bull:${name}:stalled-check`);
    expect(await checker.moveStalledJobsToWait()).toEqual([]);
    expect(recorder.named(`moveStalledJobsToWait ${name}`)).toHaveLength(3);
  });

  it('lock renewal: a detached extendLocks span naming the jobs held, none while no job is held', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('w');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    const job = await queue.add('long', {});
    const renewed = once<[RecordedSpan]>(recorder, 'end', 5000, (span) => span.name === `extendLocks ${name}`);
    const worker = new Worker(name, async () => (await renewed, 'done'), {
      connection: connection(),
      telemetry: recorder,
      lockDuration: 200,
      lockRenewTime: 50,
    });
    scope.track(worker);
    const [span] = await renewed;
    expect(own(span)).toEqual({ [A.WorkerId]: worker.id, [A.WorkerName]: undefined, [A.WorkerJobsToExtendLocks]: [job.id] });
    // not a child of the job's process span, which was active when the timer was set
    expect(span.parentId).toBeUndefined();
    await once(worker, 'completed');
    const count = recorder.named(`extendLocks ${name}`).length;
    await worker.renewLocks();
    expect(recorder.named(`extendLocks ${name}`)).toHaveLength(count);
  });

  it('getNextJob continues the taken job trace; the job its moves are traced: complete, then retry / fail', async () => {
    const name = scope.name();
    const producer = new RecordingTelemetry('p');
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: producer }));
    const first = await queue.add('first', {});
    const worker = scope.track(new Worker(name, null, { connection: connection(), telemetry: consumer, autorun: false }));
    const taken = (await worker.getNextJob('tok'))!;
    expect(taken.id).toBe(first.id);
    const fetch = consumer.one(`getNextJob ${name}`);
    expect(fetch.parentId).toBe(producer.one(`add ${name}.first`).id);
    expect(own(fetch)).toEqual({
      [A.WorkerId]: worker.id,
      [A.WorkerName]: undefined,
      [A.WorkerOptions]: '{"block":true}',
      [A.JobId]: first.id,
    });
    await taken.moveToCompleted('ok', 'tok', false);
    expect(own(consumer.one(`complete ${name}`))).toEqual({ [A.JobName]: 'first', [A.JobId]: first.id });

    const twice = await queue.add('twice', {}, { attempts: 2 });
    for (const token of ['t1', 't2']) {
      const job = (await worker.getNextJob(token, { block: false }))!;
      await job.moveToFailed(new Error('no'), token, false);
    }
    expect(consumer.spans.filter((s) => s.attributes[A.JobId] === twice.id).map((s) => s.name.replace(name, 'Q'))).toEqual([
      'getNextJob Q',
      'retry Q',
      'getNextJob Q',
      'fail Q',
    ]);
    expect(await worker.getNextJob('t3', { block: false })).toBeUndefined();
    expect(own(consumer.named(`getNextJob ${name}`).at(-1)!)).toEqual({
      [A.WorkerId]: worker.id,
      [A.WorkerName]: undefined,
      [A.WorkerOptions]: '{"block":false}',
      [A.JobId]: undefined,
    });
  });

  it('processJob(job, token, fetchNext): the process span, its outcome and child span, and the next job handed back', async () => {
    const name = scope.name();
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.addBulk([
      { name: 'good', data: {} },
      { name: 'bad', data: {} },
    ]);
    const worker = new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'bad') throw new Error('bad input');
        return { done: job.name };
      },
      { connection: connection(), telemetry: consumer, autorun: false, name: 'by-hand' },
    );
    scope.track(worker);
    const good = (await worker.getNextJob('tok'))!;
    const next = await worker.processJob(good, 'tok', () => true);
    expect(next).toMatchObject({ name: 'bad', token: 'tok' });
    expect(await worker.processJob(next as Job, 'tok', () => false)).toBeUndefined();
    expect(await queue.getJobCounts('completed', 'failed', 'active')).toEqual({ completed: 1, failed: 1, active: 0 });
    const [first, second] = consumer.named(`process ${name}`);
    expect(first).toMatchObject({ kind: SpanKind.CONSUMER, ended: true });
    expect(own(first)).toMatchObject({
      [A.WorkerId]: worker.id,
      [A.WorkerName]: 'by-hand',
      [A.JobId]: good.id,
      [A.JobName]: 'good',
      [A.JobAttemptsMade]: 1,
    });
    expect(first.attributes[A.JobAttemptFinishedTimestamp]).toEqual(expect.any(Number));
    expect(first.events).toEqual([{ name: 'job completed', attributes: { [A.JobResult]: '{"done":"good"}' } }]);
    expect(consumer.spans.filter((s) => s.parentId === first.id).map((s) => s.name)).toEqual([`complete ${name}`]);
    expect(second.events).toEqual([{ name: 'job failed', attributes: { [A.JobFailedReason]: 'bad input' } }]);
    expect(second.exceptions).toEqual([]);
    expect(consumer.spans.filter((s) => s.parentId === second.id).map((s) => s.name)).toEqual([`fail ${name}`]);
  });
});

describe('telemetry of job schedulers', () => {
  const scope = scopePerTest();

  it('upsertJobScheduler: an "add <queue>.<name>" span; the iteration, and each next one, carries its context', async () => {
    const name = scope.name();
    const producer = new RecordingTelemetry('p');
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: producer }));
    const first = (await queue.upsertJobScheduler('sch', { every: 60_000 }, { name: 'tick', data: { n: 1 } }))!;
    const span = producer.one(`add ${name}.tick`);
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(own(span)).toEqual({ [A.JobSchedulerId]: 'sch', [A.JobId]: first.id });
    const tm = RecordingTelemetry.metadataOf(span);
    expect(first.opts.telemetry).toEqual({ metadata: tm });
    // the scheduler's own hash keeps the template only
    expect(await scope.redis.hget(`bull:${name}:repeat:sch`, 'opts')).toBeNull();
    const processed = once<[RecordedSpan]>(consumer, 'end', 5000, (s) => s.name === `process ${name}`);
    scope.track(new Worker(name, async () => 1, { connection: connection(), telemetry: consumer }));
    // the span ends once the job is stored as completed, its next iteration made before it ran
    expect((await processed)[0].parentId).toBe(span.id);
    const [nextId] = await scope.redis.zrange(`bull:${name}:delayed`, 0, -1);
    expect(nextId).toMatch(/^repeat:sch:/);
    expect(JSON.parse((await scope.redis.hget(`bull:${name}:${nextId}`, 'opts'))!).tm).toBe(tm);
  });

  it('a refused upsert has no span; a template with telemetry.omitContext puts no context into its iterations', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    await expect(queue.upsertJobScheduler('bad', { every: 1000, pattern: '* * * * *' })).rejects.toThrow();
    expect(recorder.spans).toEqual([]);
    const job = (await queue.upsertJobScheduler('quiet', { every: 60_000 }, { name: 'q', opts: { telemetry: { omitContext: true } } }))!;
    expect(recorder.one(`add ${name}.q`).attributes[A.JobId]).toBe(job.id);
    const stored = JSON.parse((await scope.redis.hget(`bull:${name}:${job.id}`, 'opts'))!);
    expect(stored).not.toHaveProperty('tm');
    expect(stored.omc).toBe(true);
  });

  it('an upsert that fails while creating the iteration records it on its span, which names no job', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    // the first time of a new cron scheduler is taken already: bullmq's -10, nothing written
    const nextNewYear = Date.UTC(new Date().getUTCFullYear() + 1, 0, 1);
    await scope.redis.hset(`bull:${name}:repeat:yearly:${nextNewYear}`, 'name', 'taken');
    await expect(queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *', tz: 'UTC' }, { name: 'y' })).rejects.toThrow(
      /job ID already exists/,
    );
    const span = recorder.one(`add ${name}.y`);
    expect(span.exceptions).toEqual([expect.objectContaining({ message: expect.stringMatching(/job ID already exists/) })]);
    expect(span.attributes[A.JobSchedulerId]).toBe('yearly');
    expect(span.attributes[A.JobId]).toBeUndefined();
    expect(span.ended).toBe(true);
    expect(await queue.getJobSchedulersCount()).toBe(0);
  });

  it("an upsert whose template carries a context gives it to the iteration, not its own span's", async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    const given = JSON.stringify({ traceId: 'trace-given', spanId: 'span-given' });
    const job = (await queue.upsertJobScheduler('given', { every: 60_000 }, { name: 'g', opts: { telemetry: { metadata: given } } }))!;
    expect(recorder.one(`add ${name}.g`).attributes[A.JobId]).toBe(job.id);
    expect(JSON.parse((await scope.redis.hget(`bull:${name}:${job.id}`, 'opts'))!).tm).toBe(given);
  });

  it("a worker's next iteration: bullmq's add span in the worker's own context; the taken job's context goes on, else the span's", async () => {
    const name = scope.name();
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const given = JSON.stringify({ traceId: 'trace-given', spanId: 'span-given' });
    const taken = {
      plain: (await queue.upsertJobScheduler('plain', { every: 60_000 }, { name: 'p' }))!,
      carried: (await queue.upsertJobScheduler('carried', { every: 60_000 }, { name: 'c', opts: { telemetry: { metadata: given } } }))!,
      quiet: (await queue.upsertJobScheduler('quiet', { every: 60_000 }, { name: 'q', opts: { telemetry: { omitContext: true } } }))!,
    };
    const worker = scope.track(new Worker(name, async () => 1, { connection: connection(), telemetry: consumer }));
    await times(worker, 'completed', 3);
    const delayed = await scope.redis.zrange(`bull:${name}:delayed`, 0, -1);
    const tms: Record<string, unknown> = {};
    for (const [schedulerId, first] of Object.entries(taken)) {
      const next = delayed.find((id) => id.startsWith(`repeat:${schedulerId}:`));
      const add = consumer.one(`add ${name}.${first.name}`);
      expect(add.kind).toBe(SpanKind.PRODUCER);
      expect(own(add)).toEqual({ [A.JobSchedulerId]: schedulerId, [A.JobId]: next });
      // no child of the taken job's process span (bullmq makes it before that span)
      const process = consumer.named(`process ${name}`).find((s) => s.attributes[A.JobId] === first.id)!;
      expect(add.parentId).toBeUndefined();
      expect(add.traceId).not.toBe(process.traceId);
      tms[schedulerId] = JSON.parse((await scope.redis.hget(`bull:${name}:${next}`, 'opts'))!).tm;
      if (schedulerId === 'plain') expect(tms.plain).toBe(RecordingTelemetry.metadataOf(add));
    }
    expect(tms).toEqual({ plain: expect.any(String), carried: given, quiet: undefined });
  });

  it('without telemetry, iterations carry no context', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const job = (await queue.upsertJobScheduler('plain', { every: 60_000 }))!;
    const completed = times(scope.track(new Worker(name, async () => 1, { connection: connection() })), 'completed', 1);
    await completed;
    const ids = [job.id!, ...(await scope.redis.zrange(`bull:${name}:delayed`, 0, -1))];
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(JSON.parse((await scope.redis.hget(`bull:${name}:${id}`, 'opts'))!)).not.toHaveProperty('tm');
  });
});
