// bullmq-otel on both engines, over a real OpenTelemetry SDK (in-memory exporters, W3C trace
// context): one trace from a bullmq producer through a Conveyor worker to a bullmq worker, job
// scheduler iterations traced across engines, and the metrics both engines' workers record with
// telemetry.meter (same instruments, units, descriptions, attributes and counts for the same work).
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { MetricNames, Queue, TelemetryAttributes as A, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { idOf, OtelHarness, parentOf, traceOf, type ExportedMetric } from '../support/otel.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection } from './support.js';

const otel = new OtelHarness();
afterAll(() => otel.shutdown());

/** One service's telemetry: each engine gets its own, as two processes would. */
function service(label: string): BullMQOtel {
  return new BullMQOtel({ tracerName: label, meterName: label, version: '1', enableMetrics: true });
}

function oneSpan(name: string) {
  const found = otel.named(name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length}`);
  return found[0];
}

describe('interop: bullmq-otel on both engines', () => {
  const scope = scopePerTest('interop');

  it('bullmq producer -> Conveyor worker -> Conveyor producer -> bullmq worker: one trace id, each span the parent of the next', async () => {
    const first = scope.name('otel-first');
    const second = scope.name('otel-second');
    const bullSide = service('bull-service');
    const conveyorSide = service('conveyor-service');
    const bullQueue = scope.track(new BullQueue(first, { connection: bullConnection(), telemetry: bullSide }));
    const nextQueue = scope.track(new Queue(second, { connection: conveyorConnection(), telemetry: conveyorSide }));
    await bullQueue.add('step1', {});
    scope.track(
      new Worker(first, async () => (await nextQueue.add('step2', {})).id, { connection: conveyorConnection(), telemetry: conveyorSide }),
    );
    const bullWorker = scope.track(new BullWorker(second, async () => 'end', { connection: bullConnection(), telemetry: bullSide }));
    await times(bullWorker, 'completed', 1);
    await until(
      'the last process span',
      async () => otel.named(`process ${second}`).length,
      (n) => n === 1,
    );
    const chain = [`add ${first}.step1`, `process ${first}`, `add ${second}.step2`, `process ${second}`].map(oneSpan);
    const trace = traceOf(chain[0]);
    for (const span of chain) expect(traceOf(span)).toBe(trace);
    for (let i = 1; i < chain.length; i++) expect(parentOf(chain[i])).toBe(idOf(chain[i - 1]));
  });

  it('scheduler iterations continue the upsert trace in the other engine, the next iteration too (its worker traces making it)', async () => {
    const fromBull = scope.name('otel-sch-b');
    const fromConveyor = scope.name('otel-sch-c');
    const bullSide = service('bull-service');
    const conveyorSide = service('conveyor-service');
    const bullQueue = scope.track(new BullQueue(fromBull, { connection: bullConnection(), telemetry: bullSide }));
    const queue = scope.track(new Queue(fromConveyor, { connection: conveyorConnection(), telemetry: conveyorSide }));
    await bullQueue.upsertJobScheduler('sch', { every: 60_000 }, { name: 'tick' });
    await queue.upsertJobScheduler('sch', { every: 60_000 }, { name: 'tick' });
    const ours = scope.track(new Worker(fromBull, async () => 1, { connection: conveyorConnection(), telemetry: conveyorSide }));
    const theirs = scope.track(new BullWorker(fromConveyor, async () => 1, { connection: bullConnection(), telemetry: bullSide }));
    await Promise.all([times(ours, 'completed', 1), times(theirs, 'completed', 1)]);
    for (const name of [fromBull, fromConveyor]) {
      await until(
        `the process span of ${name}`,
        async () => otel.named(`process ${name}`).length,
        (n) => n === 1,
      );
      const process = oneSpan(`process ${name}`);
      // the upsert's span, made for the iteration the worker took
      const add = otel.named(`add ${name}.tick`).find((s) => s.attributes[A.JobId] === process.attributes[A.JobId])!;
      expect(add.attributes[A.JobSchedulerId]).toBe('sch');
      expect(parentOf(process)).toBe(idOf(add));
      expect(traceOf(process)).toBe(traceOf(add));
      // the next iteration, made by the worker of the other engine, carries the same context on
      const [next] = await scope.redis.zrange(`bull:${name}:delayed`, 0, -1);
      const firstTm = JSON.parse((await scope.redis.hget(`bull:${name}:${process.attributes[A.JobId]}`, 'opts'))!).tm;
      expect(JSON.parse((await scope.redis.hget(`bull:${name}:${next}`, 'opts'))!).tm).toBe(firstTm);
      // the worker traced making it as bullmq's does: an add span of its own, no child of the process span
      const made = otel.named(`add ${name}.tick`).find((s) => s.attributes[A.JobId] === next)!;
      expect(made.attributes[A.JobSchedulerId]).toBe('sch');
      expect(parentOf(made)).toBeUndefined();
      expect(traceOf(made)).not.toBe(traceOf(process));
    }
  });

  it("both engines' workers record the same instruments with the same attributes and counts for the same jobs", async () => {
    const run = async (engine: 'bullmq' | 'conveyor') => {
      const name = scope.name(`otel-metrics-${engine}`);
      const telemetry = service(`${engine}-metrics`);
      const queue =
        engine === 'bullmq'
          ? scope.track(new BullQueue(name, { connection: bullConnection(), telemetry }))
          : scope.track(new Queue(name, { connection: conveyorConnection(), telemetry }));
      await queue.add('ok', {});
      await queue.add('bad', {});
      await queue.add('again', {}, { attempts: 2 });
      await queue.add('later', {}, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      const processor = async (job: { name: string; attemptsMade: number }) => {
        if (job.name === 'bad' || (job.attemptsMade === 0 && job.name !== 'ok')) throw new Error('no');
        return job.name;
      };
      const worker =
        engine === 'bullmq'
          ? scope.track(new BullWorker(name, processor, { connection: bullConnection(), telemetry }))
          : scope.track(new Worker(name, processor, { connection: conveyorConnection(), telemetry }));
      await times(worker, 'completed', 3);
      await worker.close();
      await queue.recordJobCountsMetric('completed', 'failed');
      return describeMetrics(await otel.metrics(`${engine}-metrics`), name);
    };
    const theirs = await run('bullmq');
    const ours = await run('conveyor');
    expect(ours).toEqual(theirs);
    expect(Object.keys(ours).sort()).toEqual(
      [
        MetricNames.JobsCompleted,
        MetricNames.JobsFailed,
        MetricNames.JobsRetried,
        MetricNames.JobsDelayed,
        MetricNames.JobDuration,
        MetricNames.QueueJobsCount,
      ].sort(),
    );
  });
});

/** Instruments as compared across engines: descriptor, and each point's attributes and count. */
function describeMetrics(metrics: Map<string, ExportedMetric>, queue: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of metrics) {
    out[name] = {
      type: m.type,
      unit: m.unit,
      description: m.description,
      points: m.points
        .map((p) => {
          const attributes = JSON.stringify(p.attributes).replaceAll(queue, 'Q');
          // a histogram's count, not its (timing dependent) sum
          return `${attributes} ${typeof p.value === 'number' ? p.value : p.value.count}`;
        })
        .sort(),
    };
  }
  return out;
}
