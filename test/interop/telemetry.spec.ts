// Trace context across engines: a job added by bullmq with telemetry is processed by a Conveyor
// worker that continues the trace from the job's `tm`, and the reverse (Conveyor queue and flow
// producer, bullmq worker). Both sides use the same in-memory recording tracer, as two services
// would share one OpenTelemetry propagator. Span names and attributes are compared with bullmq's.
import { FlowProducer as BullFlowProducer, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { FlowProducer, Queue, SpanKind, TelemetryAttributes as A, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { RecordingTelemetry, type RecordedSpan } from '../support/recording-telemetry.js';
import { bullConnection, conveyorConnection, Scope } from './support.js';

function ended(recorder: RecordingTelemetry, spanName: string, count = 1): Promise<RecordedSpan[]> {
  return times<[RecordedSpan]>(recorder, 'end', count, 10000, (span) => span.name === spanName).then((all) => all.map(([s]) => s));
}

/** A span as compared across engines: what does not depend on ids or clocks. */
function shape(span: RecordedSpan, workerId: string): Record<string, unknown> {
  const attributes = { ...span.attributes };
  if (attributes[A.WorkerId] === workerId) attributes[A.WorkerId] = '<worker>';
  for (const key of [A.JobAttemptFinishedTimestamp, A.JobProcessedTimestamp]) if (key in attributes) attributes[key] = typeof attributes[key];
  return { kind: span.kind, events: span.events, attributes };
}

describe('interop: telemetry context carried between bullmq and Conveyor', () => {
  let scope: Scope;
  beforeEach(() => {
    scope = new Scope();
  });
  afterEach(async () => {
    await scope.close();
  });

  it('bullmq producer -> Conveyor worker: the process span continues the add span, and jobs added while processing join the trace', async () => {
    const name = scope.queueName('tel-b2c');
    const next = scope.queueName('tel-b2c-next');
    const producer = new RecordingTelemetry('bull');
    const consumer = new RecordingTelemetry('conveyor');
    const bullQueue = scope.track(new BullQueue(name, { connection: bullConnection(), telemetry: producer }));
    const nextQueue = scope.track(new Queue(next, { connection: conveyorConnection(), telemetry: consumer }));
    const job = await bullQueue.add('traced', { n: 1 });
    const quiet = await bullQueue.add('quiet', { n: 2 }, { telemetry: { omitContext: true } });
    const done = ended(consumer, `process ${name}`, 2);
    scope.track(
      new Worker(name, async (j) => (j.name === 'traced' ? (await nextQueue.add('follow-up', {})).id : 'quiet'), {
        connection: conveyorConnection(),
        telemetry: consumer,
      }),
    );
    const spans = await done;
    const add = producer.one(`add ${name}.traced`);
    const process = spans.find((s) => s.attributes[A.JobId] === job.id)!;
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentId).toBe(add.id);
    expect(process.traceId).toBe(add.traceId);
    const followUp = consumer.one(`add ${next}.follow-up`);
    expect(followUp.parentId).toBe(process.id);
    expect(followUp.traceId).toBe(add.traceId);
    // bullmq stores tm: false for a job that omits the context; it is no context to continue
    expect(JSON.parse((await scope.redis.hget(`bull:${name}:${quiet.id}`, 'opts'))!)).toMatchObject({ omc: true });
    const alone = spans.find((s) => s.attributes[A.JobId] === quiet.id)!;
    expect(alone.parentId).toBeUndefined();
    expect(alone.traceId).not.toBe(add.traceId);
  });

  it('Conveyor producer and flow producer -> bullmq worker: bullmq continues the traces from our tm', async () => {
    const name = scope.queueName('tel-c2b');
    const producer = new RecordingTelemetry('conveyor');
    const consumer = new RecordingTelemetry('bull');
    const queue = scope.track(new Queue(name, { connection: conveyorConnection(), telemetry: producer }));
    const flows = scope.track(new FlowProducer({ connection: conveyorConnection(), telemetry: producer }));
    const single = await queue.add('single', {});
    const [bulk] = await queue.addBulk([{ name: 'bulk', data: {} }]);
    const tree = await flows.add({ name: 'parent', queueName: name, children: [{ name: 'child', queueName: name }] });
    const done = ended(consumer, `process ${name}`, 4);
    scope.track(new BullWorker(name, async () => 'ok', { connection: bullConnection(), telemetry: consumer }));
    const spans = await done;
    const byJob = (id: string | undefined) => spans.find((s) => s.attributes[A.JobId] === id)!;
    expect(byJob(single.id).parentId).toBe(producer.one(`add ${name}.single`).id);
    expect(byJob(bulk.id).parentId).toBe(producer.one(`addBulk ${name}`).id);
    const nodes = producer.named(`addNode ${name}`);
    const nodeOf = (jobName: string) => nodes.find((s) => s.attributes[A.JobName] === jobName)!;
    expect(byJob(tree.children![0].job.id).parentId).toBe(nodeOf('child').id);
    expect(byJob(tree.job.id).parentId).toBe(nodeOf('parent').id);
    for (const span of spans) expect(span.traceId).toBe(producer.spans.find((s) => s.id === span.parentId)!.traceId);
  });

  it('spans of both engines have the same names, kinds, attributes and events for the same work', async () => {
    const run = async (engine: 'bullmq' | 'conveyor') => {
      const name = scope.queueName(`tel-shape-${engine}`);
      const recorder = new RecordingTelemetry(engine);
      const queue =
        engine === 'bullmq'
          ? scope.track(new BullQueue(name, { connection: bullConnection(), telemetry: recorder }))
          : scope.track(new Queue(name, { connection: conveyorConnection(), telemetry: recorder }));
      await queue.add('ok', { v: 1 }, { jobId: 'job-ok' });
      await queue.addBulk([
        { name: 'bad', data: {}, opts: { jobId: 'job-bad' } },
        { name: 'ok', data: {}, opts: { jobId: 'job-ok2' } },
      ]);
      const processor = async (job: { name: string; data: { v?: number } }) => {
        if (job.name === 'bad') throw new Error('bad input');
        return { v: job.data.v ?? 0 };
      };
      const done = ended(recorder, `process ${name}`, 3);
      const worker =
        engine === 'bullmq'
          ? scope.track(new BullWorker(name, processor, { connection: bullConnection(), telemetry: recorder }))
          : scope.track(new Worker(name, processor, { connection: conveyorConnection(), telemetry: recorder }));
      const processed = (await done).sort((a, b) => String(a.attributes[A.JobId]).localeCompare(String(b.attributes[A.JobId])));
      const rename = (s: RecordedSpan) => ({ ...shape(s, worker.id), name: s.name.replace(name, '<queue>') });
      const masked = (s: Record<string, unknown>) => JSON.parse(JSON.stringify(s).replaceAll(name, '<queue>'));
      return {
        add: masked(rename(recorder.one(`add ${name}.ok`))),
        addBulk: masked(rename(recorder.one(`addBulk ${name}`))),
        process: processed.map((s) => masked(rename(s))),
        exceptions: processed.map((s) => s.exceptions.length),
      };
    };
    const theirs = await run('bullmq');
    const ours = await run('conveyor');
    expect(ours.add).toEqual(theirs.add);
    expect(ours.addBulk).toEqual(theirs.addBulk);
    expect(ours.process).toEqual(theirs.process);
    // beyond bullmq 6.7 (which only adds the "job failed" event): the failure is also recorded as an exception
    expect(theirs.exceptions).toEqual([0, 0, 0]);
    expect(ours.exceptions).toEqual([1, 0, 0]);
  });

  it('a bullmq flow added with telemetry is processed by Conveyor without a trace to continue (bullmq stores no tm on flow jobs)', async () => {
    const name = scope.queueName('tel-flow-b2c');
    const producer = new RecordingTelemetry('bull');
    const consumer = new RecordingTelemetry('conveyor');
    const flows = scope.track(new BullFlowProducer({ connection: bullConnection(), telemetry: producer }));
    const tree = await flows.add({ name: 'parent', queueName: name, children: [{ name: 'child', queueName: name }] });
    expect(JSON.parse((await scope.redis.hget(`bull:${name}:${tree.job.id}`, 'opts'))!)).not.toHaveProperty('tm');
    const done = ended(consumer, `process ${name}`, 2);
    scope.track(new Worker(name, async () => 'ok', { connection: conveyorConnection(), telemetry: consumer }));
    for (const span of await done) {
      expect(span.parentId).toBeUndefined();
      expect(span.events[0].name).toBe('job completed');
    }
  });
});
