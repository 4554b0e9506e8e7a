// The `telemetry` option of Queue, Worker and FlowProducer, with an in-memory recording tracer:
// span names, kinds and attributes (BullMQ's), the producer's context carried in the job (`tm`)
// and continued by the worker, outcomes, exceptions, omitContext, flows, and no tracing work
// without it. Calls, processJob and metrics: telemetry-calls/-worker/-otel.spec.ts.
import { ConveyorValidationError, FlowProducer, Queue, SpanKind, TelemetryAttributes as A, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { RecordingTelemetry, type RecordedSpan } from '../support/recording-telemetry.js';
import { connection } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';

async function storedOpts(scope: Scope, name: string, id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await scope.redis.hget(`bull:${name}:${id}`, 'opts')) ?? 'null');
}

/** Resolves once `count` spans named `spanName` have ended. */
function ended(recorder: RecordingTelemetry, spanName: string, count = 1): Promise<RecordedSpan[]> {
  return times<[RecordedSpan]>(recorder, 'end', count, 10000, (span) => span.name === spanName).then((all) => all.map(([s]) => s));
}

describe('telemetry', () => {
  const scope = scopePerTest();

  describe('validation', () => {
    const good = () => new RecordingTelemetry('v');
    const cases: [string, unknown, RegExp][] = [
      ['not an object', 'otel', /telemetry must be \{ tracer, contextManager, meter\? \}, got "otel"/],
      ['no tracer', { contextManager: good().contextManager }, /telemetry\.tracer must be an object with startSpan\(\), got undefined/],
      [
        'startSpan not a function',
        { tracer: { startSpan: 1 }, contextManager: good().contextManager },
        /telemetry\.tracer\.startSpan must be a function, got 1/,
      ],
      [
        'no contextManager',
        { tracer: good().tracer },
        /telemetry\.contextManager must be an object with active, with, getMetadata, fromMetadata, got undefined/,
      ],
      [
        'contextManager without getMetadata',
        { tracer: good().tracer, contextManager: { ...good().contextManager, getMetadata: undefined } },
        /telemetry\.contextManager\.getMetadata must be a function, got undefined/,
      ],
      [
        'with a meter that is not an object',
        { ...good(), meter: 'otel' },
        /telemetry\.meter must be an object with createCounter, createHistogram, createGauge, got "otel"/,
      ],
    ];

    it.each(cases)('Queue, Worker and FlowProducer refuse a telemetry option that is %s', (_label, telemetry, message) => {
      const name = scope.name();
      const make = [
        () => new Queue(name, { connection: connection(), telemetry: telemetry as never }),
        () => new Worker(name, async () => 1, { connection: connection(), telemetry: telemetry as never }),
        () => new FlowProducer({ connection: connection(), telemetry: telemetry as never }),
      ];
      for (const [i, construct] of make.entries()) {
        let error: unknown;
        try {
          scope.track(construct() as { close(): Promise<unknown> });
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(ConveyorValidationError);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).toMatch(['Queue', 'Worker', 'FlowProducer'][i]);
      }
    });

    it('refuses a bad job option telemetry before writing anything, and records the refusal on the add span', async () => {
      const name = scope.name();
      const recorder = new RecordingTelemetry('p');
      const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
      await queue.add('first', {});
      const before = await snapshotQueue(scope.redis, name);
      await expect(queue.add('x', {}, { telemetry: { metadata: 5 as never } })).rejects.toThrow(
        'telemetry.metadata must be a string, got 5',
      );
      await expect(queue.add('x', {}, { telemetry: { omitContext: 'yes' as never } })).rejects.toThrow(
        'telemetry.omitContext must be a boolean, got "yes"',
      );
      await expect(queue.add('x', {}, { telemetry: { context: 'a' } as never })).rejects.toThrow(
        'telemetry.context is not a known option (metadata, omitContext), got "a"',
      );
      await expect(queue.add('x', {}, { telemetry: 'tm' as never })).rejects.toThrow(
        'telemetry must be { metadata?, omitContext? }, got "tm"',
      );
      expect(await snapshotQueue(scope.redis, name)).toEqual(before);
      const refused = recorder.named(`add ${name}.x`);
      expect(refused).toHaveLength(4);
      for (const span of refused) {
        expect(span.ended).toBe(true);
        expect(span.exceptions).toHaveLength(1);
        expect(span.attributes[A.JobId]).toBeUndefined();
      }
    });
  });

  it('add: one PRODUCER span "add <queue>.<name>" with BullMQ attributes, its context stored in the job as tm', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    const job = await queue.add('email', { to: 'a' });
    const span = recorder.one(`add ${name}.email`);
    expect(span).toMatchObject({ kind: SpanKind.PRODUCER, ended: true, parentId: undefined, exceptions: [] });
    expect(span.attributes).toEqual({
      [A.QueueName]: name,
      [A.QueueOperation]: 'add',
      [A.JobName]: 'email',
      [A.JobId]: job.id,
    });
    const metadata = RecordingTelemetry.metadataOf(span);
    expect(job.opts.telemetry).toEqual({ metadata });
    expect(await storedOpts(scope, name, job.id!)).toEqual({ tm: metadata, attempts: 0 });
  });

  it('adds of one tick go together, each in its own span whose context its own job carries', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    await queue.waitUntilReady();
    let calls = 0;
    const exec = queue.exec.bind(queue);
    queue.exec = (script, keys, args) => {
      if (script === 'addJobs') calls += 1;
      return exec(script, keys, args);
    };
    const jobs = await Promise.all(['a', 'b', 'c'].map((jobName) => queue.add(jobName, {})));
    // the first at once, the other two together (add-batcher.ts)
    expect(calls).toBe(2);
    for (const job of jobs) {
      const span = recorder.one(`add ${name}.${job.name}`);
      expect(span).toMatchObject({ kind: SpanKind.PRODUCER, ended: true, parentId: undefined, exceptions: [] });
      expect(span.attributes[A.JobId]).toBe(job.id);
      const metadata = RecordingTelemetry.metadataOf(span);
      expect(job.opts.telemetry).toEqual({ metadata });
      expect(await storedOpts(scope, name, job.id!)).toEqual({ tm: metadata, attempts: 0 });
    }
    expect(new Set(jobs.map((j) => j.opts.telemetry?.metadata)).size).toBe(3);
  });

  it('addBulk: one "addBulk <queue>" span whose context every job carries, except those that omit it', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: recorder }));
    const jobs = await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {}, opts: { telemetry: { omitContext: true } } },
      { name: 'c', data: {}, opts: { telemetry: { metadata: 'replaced' }, priority: 3 } },
    ]);
    expect(recorder.spans).toHaveLength(1);
    const span = recorder.one(`addBulk ${name}`);
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.attributes).toEqual({
      [A.QueueName]: name,
      [A.QueueOperation]: 'addBulk',
      [A.BulkNames]: ['a', 'b', 'c'],
      [A.BulkCount]: 3,
    });
    const tm = RecordingTelemetry.metadataOf(span);
    expect(await storedOpts(scope, name, jobs[0].id!)).toEqual({ tm, attempts: 0 });
    expect(await storedOpts(scope, name, jobs[1].id!)).toEqual({ omc: true, attempts: 0 });
    expect(await storedOpts(scope, name, jobs[2].id!)).toEqual({ tm, priority: 3, attempts: 0 });
  });

  it('defaultJobOptions telemetry.omitContext keeps the context out of every job', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('p');
    const queue = scope.track(
      new Queue(name, { connection: connection(), telemetry: recorder, defaultJobOptions: { telemetry: { omitContext: true } } }),
    );
    const job = await queue.add('quiet', {});
    expect(recorder.one(`add ${name}.quiet`).ended).toBe(true);
    expect(await storedOpts(scope, name, job.id!)).toEqual({ omc: true, attempts: 0 });
  });

  it('process: a CONSUMER span per job continuing the producer trace from tm, ended with the result and a "complete" child', async () => {
    const name = scope.name();
    const producer = new RecordingTelemetry('p');
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: producer }));
    const job = await queue.add('sum', { a: 2, b: 3 });
    const done = ended(consumer, `process ${name}`);
    const worker = scope.track(
      new Worker(name, async (j: Job) => ({ sum: j.data.a + j.data.b }), { connection: connection(), telemetry: consumer, name: 'w1' }),
    );
    const [span] = await done;
    const add = producer.one(`add ${name}.sum`);
    expect(span.kind).toBe(SpanKind.CONSUMER);
    expect(span.explicitContext).toEqual({ traceId: add.traceId, spanId: add.id });
    expect(span.parentId).toBe(add.id);
    expect(span.traceId).toBe(add.traceId);
    expect(span.attributes).toMatchObject({
      [A.QueueName]: name,
      [A.QueueOperation]: 'process',
      [A.WorkerId]: worker.id,
      [A.WorkerName]: 'w1',
      [A.JobId]: job.id,
      [A.JobName]: 'sum',
      [A.JobAttemptsMade]: 1,
    });
    expect(span.attributes[A.JobProcessedTimestamp]).toEqual(expect.any(Number));
    expect(span.attributes[A.JobAttemptFinishedTimestamp]).toBeGreaterThanOrEqual(span.attributes[A.JobProcessedTimestamp] as number);
    expect(span.events).toEqual([{ name: 'job completed', attributes: { [A.JobResult]: '{"sum":5}' } }]);
    expect(span.exceptions).toEqual([]);
    // bullmq's INTERNAL child span for the move, ended before its parent
    const complete = consumer.one(`complete ${name}`);
    expect(complete).toMatchObject({ kind: SpanKind.INTERNAL, parentId: span.id, traceId: add.traceId, ended: true });
    expect(complete.attributes).toEqual({ [A.QueueName]: name, [A.QueueOperation]: 'complete', [A.JobName]: 'sum', [A.JobId]: job.id });
    expect(consumer.spans.filter((s) => s.traceId === add.traceId)).toHaveLength(2);
  });

  it('a failing job: every attempt has its own span with "job failed" and a "retry" (then "fail") child, no exception (as bullmq)', async () => {
    const name = scope.name();
    const producer = new RecordingTelemetry('p');
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: producer }));
    await queue.add('bad', {}, { attempts: 2 });
    const done = ended(consumer, `process ${name}`, 2);
    const thrown: Error[] = [];
    scope.track(
      new Worker(
        name,
        async (j: Job) => {
          const error = new Error(`boom ${j.attemptsMade + 1}`);
          thrown.push(error);
          throw error;
        },
        { connection: connection(), telemetry: consumer },
      ),
    );
    const spans = await done;
    const add = producer.one(`add ${name}.bad`);
    expect(thrown).toHaveLength(2);
    spans.forEach((span, i) => {
      expect(span.parentId).toBe(add.id);
      expect(span.events).toEqual([{ name: 'job failed', attributes: { [A.JobFailedReason]: `boom ${i + 1}` } }]);
      expect(span.exceptions).toEqual([]);
      expect(span.status).toBeUndefined();
      expect(span.attributes[A.JobAttemptsMade]).toBe(i + 1);
      const [child] = consumer.spans.filter((s) => s.parentId === span.id);
      expect(child.name).toBe(i === 0 ? `retry ${name}` : `fail ${name}`);
    });
  });

  it('a completion refused by the finish (pending children) ends the span as failed, as the worker reports it', async () => {
    const name = scope.name();
    const childQueue = scope.name();
    const consumer = new RecordingTelemetry('c');
    const flows = scope.track(new FlowProducer({ connection: connection() }));
    const tree = await flows.add({ name: 'parent', queueName: name, children: [{ name: 'child', queueName: childQueue }] });
    const parentId = tree.job.id!;
    // taken out of waiting-children by hand, the parent reaches a processor while its child is pending
    await scope.redis.zrem(`bull:${name}:waiting-children`, parentId);
    await scope.redis.lpush(`bull:${name}:wait`, parentId);
    const done = ended(consumer, `process ${name}`);
    scope.track(new Worker(name, async () => 'done', { connection: connection(), telemetry: consumer }));
    const [span] = await done;
    expect(span.events).toEqual([
      { name: 'job failed', attributes: { [A.JobFailedReason]: `Job ${parentId} has pending dependencies. moveToFinished` } },
    ]);
    expect(consumer.spans.filter((s) => s.parentId === span.id).map((s) => s.name)).toEqual([`fail ${name}`]);
    expect(await scope.redis.zscore(`bull:${name}:failed`, parentId)).not.toBeNull();
  });

  it('omitContext: the job carries no context, so its processing starts a trace of its own', async () => {
    const name = scope.name();
    const producer = new RecordingTelemetry('p');
    const consumer = new RecordingTelemetry('c');
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: producer }));
    const job = await queue.add('alone', {}, { telemetry: { omitContext: true } });
    expect(await storedOpts(scope, name, job.id!)).toEqual({ omc: true, attempts: 0 });
    const done = ended(consumer, `process ${name}`);
    scope.track(new Worker(name, async () => 1, { connection: connection(), telemetry: consumer }));
    const [span] = await done;
    expect(span.explicitContext).toEqual({});
    expect(span.parentId).toBeUndefined();
    expect(span.traceId).not.toBe(producer.one(`add ${name}.alone`).traceId);
  });

  it('jobs without a context never join the trace of the job whose finish fetched them', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.addBulk([1, 2, 3].map((n) => ({ name: `j${n}`, data: {} })));
    const consumer = new RecordingTelemetry('c');
    const done = ended(consumer, `process ${name}`, 3);
    // concurrency 1: the second and third jobs come from the fetch-next of the previous finish
    scope.track(new Worker(name, async () => 1, { connection: connection(), telemetry: consumer }));
    const spans = await done;
    for (const span of spans) expect(span.parentId).toBeUndefined();
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(3);
  });

  it("such jobs start from the context manager's root() when it has one, else from the context the worker was made in", async () => {
    const plain = scope.name();
    const rooted = scope.name();
    const outer = { traceId: 'outer-trace', spanId: 'outer-span' };
    const recorder = new RecordingTelemetry('c');
    const withRoot = { tracer: recorder.tracer, contextManager: { ...recorder.contextManager, root: () => ({}) } };
    const done = ended(recorder, `process ${plain}`);
    const doneRooted = ended(recorder, `process ${rooted}`);
    // both workers are made while a span of the application is active
    recorder.contextManager.with(outer, () => {
      scope.track(new Worker(plain, async () => 1, { connection: connection(), telemetry: recorder }));
      scope.track(new Worker(rooted, async () => 1, { connection: connection(), telemetry: withRoot }));
    });
    await scope.track(new Queue(plain, { connection: connection() })).add('j', {});
    await scope.track(new Queue(rooted, { connection: connection() })).add('j', {});
    const [fromConstruction] = await done;
    const [fromRoot] = await doneRooted;
    expect(fromConstruction.parentId).toBe('outer-span');
    expect(fromConstruction.traceId).toBe('outer-trace');
    expect(fromRoot.explicitContext).toEqual({});
    expect(fromRoot.parentId).toBeUndefined();
    expect(fromRoot.traceId).not.toBe('outer-trace');
  });

  it('a job added from inside a processor continues the trace of the job being processed', async () => {
    const first = scope.name();
    const second = scope.name();
    const telemetry = new RecordingTelemetry('t');
    const queue = scope.track(new Queue(first, { connection: connection(), telemetry }));
    const next = scope.track(new Queue(second, { connection: connection(), telemetry }));
    await queue.add('step1', {});
    const done = ended(telemetry, `process ${first}`);
    scope.track(new Worker(first, async () => (await next.add('step2', {})).id, { connection: connection(), telemetry }));
    const [process] = await done;
    const step1 = telemetry.one(`add ${first}.step1`);
    const step2 = telemetry.one(`add ${second}.step2`);
    expect(process.parentId).toBe(step1.id);
    expect(step2.parentId).toBe(process.id);
    expect(new Set([step1.traceId, process.traceId, step2.traceId]).size).toBe(1);
    const [stepTwoJob] = await next.getJobs(['waiting']);
    expect(stepTwoJob.opts.telemetry).toEqual({ metadata: RecordingTelemetry.metadataOf(step2) });
  });

  it('flows: addFlow with an addNode span per job (children under their parent), each job carrying its node span', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('f');
    const flows = scope.track(new FlowProducer({ connection: connection(), telemetry: recorder }));
    const tree = await flows.add({
      name: 'report',
      queueName: name,
      children: [
        { name: 'part', queueName: name, children: [{ name: 'leaf', queueName: name }] },
        { name: 'quiet', queueName: name, opts: { telemetry: { omitContext: true } } },
      ],
    });
    const root = recorder.one(`addFlow ${name}`);
    expect(root.kind).toBe(SpanKind.PRODUCER);
    expect(root.attributes).toEqual({ [A.QueueName]: name, [A.QueueOperation]: 'addFlow', [A.FlowName]: 'report' });
    const nodes = recorder.named(`addNode ${name}`);
    expect(nodes).toHaveLength(4);
    const byJob = new Map(nodes.map((s) => [s.attributes[A.JobName], s]));
    expect(byJob.get('report')!.parentId).toBe(root.id);
    expect(byJob.get('part')!.parentId).toBe(byJob.get('report')!.id);
    expect(byJob.get('leaf')!.parentId).toBe(byJob.get('part')!.id);
    expect(byJob.get('quiet')!.parentId).toBe(byJob.get('report')!.id);
    for (const span of [root, ...nodes]) expect(span.ended).toBe(true);
    const jobs = [tree.job, tree.children![0].job, tree.children![0].children![0].job, tree.children![1].job];
    for (const job of jobs) {
      const span = byJob.get(job.name)!;
      expect(span.attributes).toMatchObject({ [A.QueueOperation]: 'addNode', [A.JobId]: job.id, [A.JobName]: job.name });
      const opts = await storedOpts(scope, name, job.id!);
      if (job.name === 'quiet') expect(opts).not.toHaveProperty('tm');
      else expect(opts.tm).toBe(RecordingTelemetry.metadataOf(span));
    }
    // the worker continues each job's trace from its own node span
    const consumer = new RecordingTelemetry('c');
    const done = ended(consumer, `process ${name}`, 2);
    scope.track(new Worker(name, async () => 1, { connection: connection(), telemetry: consumer }));
    const leafProcess = (await done).find((s) => s.attributes[A.JobName] === 'leaf')!;
    expect(leafProcess.parentId).toBe(byJob.get('leaf')!.id);
  });

  it('flows: addBulk is one "addBulkFlows" span with the flows counted and named', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('f');
    const flows = scope.track(new FlowProducer({ connection: connection(), telemetry: recorder }));
    await flows.addBulk([
      { name: 'a', queueName: name },
      { name: 'b', queueName: name, children: [{ name: 'b1', queueName: name }] },
    ]);
    const root = recorder.one('addBulkFlows');
    expect(root.attributes).toEqual({ [A.QueueName]: '', [A.QueueOperation]: 'addBulkFlows', [A.BulkCount]: 2, [A.BulkNames]: 'a,b' });
    const nodes = recorder.named(`addNode ${name}`);
    expect(nodes.map((s) => s.attributes[A.JobName]).sort()).toEqual(['a', 'b', 'b1']);
    expect(nodes.find((s) => s.attributes[A.JobName] === 'b1')!.parentId).toBe(nodes.find((s) => s.attributes[A.JobName] === 'b')!.id);
  });

  it('a flow refused by validation ends every span, records the exception once on the flow span and writes nothing', async () => {
    const name = scope.name();
    const recorder = new RecordingTelemetry('f');
    const flows = scope.track(new FlowProducer({ connection: connection(), telemetry: recorder }));
    await expect(
      flows.add({ name: 'p', queueName: name, children: [{ name: 'c', queueName: name, opts: { attempts: -1 } }] }),
    ).rejects.toThrow(ConveyorValidationError);
    expect(recorder.spans.map((s) => s.name)).toEqual([`addFlow ${name}`, `addNode ${name}`, `addNode ${name}`]);
    for (const span of recorder.spans) expect(span.ended).toBe(true);
    expect(recorder.spans.map((s) => s.exceptions.length)).toEqual([1, 0, 0]);
    expect(await snapshotQueue(scope.redis, name)).toEqual({});
  });

  it('a tracer that throws when the span starts does not strand the job: it is processed untraced and the error reported', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    await queue.add('j', {});
    const broken = new RecordingTelemetry('x');
    broken.tracer.startSpan = () => {
      throw new Error('tracer down');
    };
    const worker = new Worker(name, async () => 'fine', { connection: connection(), telemetry: broken, autorun: false });
    scope.track(worker);
    const reported = once<[Error]>(worker, 'error');
    const completed = once<[Job, unknown]>(worker, 'completed');
    void worker.run();
    expect((await reported)[0].message).toBe('tracer down');
    expect((await completed)[1]).toBe('fine');
  });

  it('without a telemetry option nothing is traced: a spy tracer of another instance counts no further call, and jobs carry no tm', async () => {
    const traced = scope.name();
    const plain = scope.name();
    const spy = new RecordingTelemetry('spy');
    // instances with the spy, used once so the spy is known to count their calls
    const tracedQueue = new Queue(traced, { connection: connection(), telemetry: spy });
    const tracedDone = ended(spy, `process ${traced}`);
    const tracedWorker = new Worker(traced, async () => 1, { connection: connection(), telemetry: spy });
    await tracedQueue.add('seen', {});
    await tracedDone;
    // closed now, so none of their background work (stalled checks, lock renewal) counts later
    await tracedWorker.close();
    await tracedQueue.close();
    const callsBefore = spy.calls;
    expect(spy.named(`process ${traced}`)).toHaveLength(1);
    const queue = scope.track(new Queue(plain, { connection: connection() }));
    const flows = scope.track(new FlowProducer({ connection: connection() }));
    const worker = scope.track(new Worker(plain, async () => 1, { connection: connection(), autorun: false }));
    const job = await queue.add('j', {});
    await queue.addBulk([{ name: 'k', data: {} }]);
    await flows.add({ name: 'p', queueName: plain, children: [{ name: 'c', queueName: plain }] });
    await queue.clean(0, 0, 'completed');
    const completed = times(worker, 'completed', 4);
    void worker.run();
    await completed;
    await worker.pause();
    worker.resume();
    expect(await queue.recordJobCountsMetric('completed')).toEqual({ completed: 4 });
    expect(spy.calls).toBe(callsBefore);
    expect(spy.spans.filter((s) => String(s.attributes[A.QueueName]).includes(plain))).toEqual([]);
    // nothing was put on the instances either
    expect(Object.getOwnPropertyNames(worker)).not.toContain('pause');
    expect(Object.getOwnPropertyNames(queue)).not.toContain('clean');
    expect(job.opts).not.toHaveProperty('telemetry');
    expect(await storedOpts(scope, plain, job.id!)).toEqual({ attempts: 0 });
  });
});
