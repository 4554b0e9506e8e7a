// Trace context across engines: a job added by bullmq with telemetry is processed by a Conveyor
// worker that continues the trace from the job's `tm`, and the reverse (Conveyor queue and flow
// producer, bullmq worker). Both sides use the same in-memory recording tracer, as two services
// would share one OpenTelemetry propagator. Span names and attributes are compared with bullmq's.
import { FlowProducer as BullFlowProducer, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { FlowProducer, Queue, SpanKind, TelemetryAttributes as A, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { RecordingTelemetry, type RecordedSpan } from '../support/recording-telemetry.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

function ended(recorder: RecordingTelemetry, spanName: string, count = 1): Promise<RecordedSpan[]> {
  return times<[RecordedSpan]>(recorder, 'end', count, 10000, (span) => span.name === spanName).then((all) => all.map(([s]) => s));
}

/** Background work whose count depends on timing (stalled checks, lock renewals). */
const BACKGROUND = ['moveStalledJobsToWait', 'startStalledCheckTimer', 'extendLocks'];

/**
 * Spans as compared across engines, one line each, sorted: name, kind, parent's name, attributes
 * and events, without what depends on ids or clocks (queue name, worker id, times, scheduler ids).
 */
function canonical(spans: RecordedSpan[], queue: string, workerId: string): string[] {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const mask = (text: string) =>
    text
      .replaceAll(queue, 'Q')
      .replaceAll(workerId, '<worker>')
      .replace(/repeat:sch:\d+/g, 'repeat:sch:<ms>');
  return spans
    .filter((s) => !BACKGROUND.some((op) => s.name.startsWith(`${op} `)))
    .map((s) => {
      const attributes: Record<string, unknown> = { ...s.attributes };
      delete attributes[A.QueueName];
      delete attributes[A.QueueOperation];
      for (const key of [A.JobAttemptFinishedTimestamp, A.JobProcessedTimestamp])
        if (key in attributes) attributes[key] = typeof attributes[key];
      const sorted = Object.fromEntries(Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b)));
      const parent = s.parentId === undefined ? '-' : (byId.get(s.parentId)?.name ?? 'other');
      return mask(`${s.name} kind=${s.kind} parent=${parent} ${JSON.stringify(sorted)} ${JSON.stringify(s.events)}`);
    })
    .sort();
}

describe('interop: telemetry context carried between bullmq and Conveyor', () => {
  const scope = scopePerTest('interop');

  it('bullmq producer -> Conveyor worker: the process span continues the add span, and jobs added while processing join the trace', async () => {
    const name = scope.name('tel-b2c');
    const next = scope.name('tel-b2c-next');
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
    const name = scope.name('tel-c2b');
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

  it('both engines make the same spans (names, kinds, parents, attributes, events) for the same calls and jobs', async () => {
    const run = async (engine: 'bullmq' | 'conveyor') => {
      const name = scope.name(`tel-shape-${engine}`);
      const recorder = new RecordingTelemetry(engine);
      const queue =
        engine === 'bullmq'
          ? scope.track(new BullQueue(name, { connection: bullConnection(), telemetry: recorder }))
          : scope.track(new Queue(name, { connection: conveyorConnection(), telemetry: recorder }));
      await queue.add('ok', { v: 1 }, { jobId: 'job-ok' });
      await queue.addBulk([
        { name: 'bad', data: {}, opts: { jobId: 'job-bad' } },
        { name: 'ok', data: {}, opts: { jobId: 'job-ok2' } },
        { name: 'again', data: {}, opts: { jobId: 'job-again', attempts: 2 } },
      ]);
      const processor = async (job: { name: string; attemptsMade: number; data: { v?: number } }) => {
        if (job.name === 'bad' || (job.name === 'again' && job.attemptsMade === 0)) throw new Error('bad input');
        return { v: job.data.v ?? 0 };
      };
      const done = ended(recorder, `process ${name}`, 5);
      const opts = { telemetry: recorder, name: 'shape-worker' };
      const worker =
        engine === 'bullmq'
          ? new BullWorker(name, processor, { connection: bullConnection(), ...opts })
          : new Worker(name, processor, { connection: conveyorConnection(), ...opts });
      await done;
      await worker.pause();
      worker.resume();
      await worker.close();
      await queue.clean(0, 10, 'completed');
      await queue.upsertJobScheduler('sch', { every: 60_000 }, { name: 'tick', data: {} });
      await queue.pause();
      await queue.resume();
      await queue.remove('job-bad');
      await queue.promoteJobs();
      await queue.retryJobs({ state: 'failed' });
      await queue.trimEvents(100);
      await queue.drain(true);
      await queue.obliterate({ force: true });
      return canonical(recorder.spans, name, worker.id);
    };
    const theirs = await run('bullmq');
    const ours = await run('conveyor');
    expect([...new Set(ours.map((line) => line.slice(0, line.indexOf(' kind='))))].sort()).toEqual(
      [
        'add Q.ok',
        'addBulk Q',
        'process Q',
        'complete Q',
        'fail Q',
        'retry Q',
        'pause Q',
        'resume Q',
        'close Q',
        'clean Q',
        'add Q.tick',
        'remove Q',
        'promoteJobs Q',
        'retryJobs Q',
        'trimEvents Q',
        'drain Q',
        'obliterate Q',
      ].sort(),
    );
    // bullmq's obliterate calls its own traced pause(); Conveyor's obliterate script pauses nothing first
    expect(theirs.filter((s) => !ours.includes(s))).toEqual(['pause Q kind=0 parent=obliterate Q {} []']);
    expect(ours.filter((s) => !theirs.includes(s))).toEqual([]);
  });

  it('a bullmq flow added with telemetry is processed by Conveyor without a trace to continue (bullmq stores no tm on flow jobs)', async () => {
    const name = scope.name('tel-flow-b2c');
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
