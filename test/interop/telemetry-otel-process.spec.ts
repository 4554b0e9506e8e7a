// A producer's trace continued by a worker in another process: jobs added here by a Conveyor queue
// with bullmq-otel, processed by a Conveyor worker in a child Node process (the built package, its
// own OpenTelemetry SDK with OpenTelemetry's own W3C propagator) that sends its spans and metrics
// back over stdout. The trace crosses the process boundary only through the job's `tm` in Redis.
import { fileURLToPath } from 'node:url';
import { SpanKind as OtelSpanKind } from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';
import { MetricNames, Queue, TelemetryAttributes as A } from '../../lib/index.js';
import { ChildScript } from '../support/child-script.js';
import { idOf, OtelHarness, traceOf } from '../support/otel.js';
import { REDIS_URL } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { conveyorConnection } from './support.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/otel-conveyor-worker.mjs', import.meta.url));
/** A child process loads the built engine and the OpenTelemetry SDK first: seconds on a busy machine. */
const CHILD_TEST_TIMEOUT = 60_000;

const otel = new OtelHarness();
afterAll(() => otel.shutdown());

interface ChildSpan {
  name: string;
  kind: number;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  events: { name: string; attributes?: Record<string, unknown> }[];
}

describe('interop: a trace continued by a worker in another process', () => {
  const scope = scopePerTest('interop');

  it(
    "the child's process spans are children of this process' add spans, in the same traces; its metrics come through its meter",
    async () => {
      const name = scope.name('otel-process');
      const telemetry = new BullMQOtel({ tracerName: 'producer-process', version: '1' });
      const queue = scope.track(new Queue(name, { connection: conveyorConnection(), telemetry }));
      const ok = await queue.add('report', { rows: 3 });
      const bad = await queue.add('broken', { fail: 'no such template' });

      const child = scope.track(new ChildScript(FIXTURE, { REDIS_URL, QUEUE: name, JOBS: '2' }));
      await child.message('done', CHILD_TEST_TIMEOUT - 10_000);
      const spans = child.received('span') as unknown as ChildSpan[];
      expect(child.received('error')).toEqual([]);
      expect(new Set(spans.map((s) => s.scope))).toEqual(new Set(['worker-process']));

      for (const [job, jobName, outcome] of [
        [ok, 'report', 'complete'],
        [bad, 'broken', 'fail'],
      ] as const) {
        const [add] = otel.named(`add ${name}.${jobName}`);
        expect(add.kind).toBe(OtelSpanKind.PRODUCER);
        const process = spans.find((s) => s.name === `process ${name}` && s.attributes[A.JobId] === job.id)!;
        expect(process).toMatchObject({
          kind: OtelSpanKind.CONSUMER,
          traceId: traceOf(add),
          parentSpanId: idOf(add),
          attributes: { [A.QueueName]: name, [A.JobName]: jobName, [A.WorkerName]: 'child-worker' },
        });
        // the outcome's span, made in the child, under the process span
        const finished = spans.filter((s) => s.name === `${outcome} ${name}` && s.parentSpanId === process.spanId);
        expect(finished).toHaveLength(1);
        expect(finished[0].traceId).toBe(traceOf(add));
      }
      const failed = spans.find((s) => s.name === `process ${name}` && s.attributes[A.JobId] === bad.id)!;
      expect(failed.events).toEqual([{ name: 'job failed', attributes: { [A.JobFailedReason]: 'no such template' } }]);

      const [{ metrics }] = child.received('metrics') as unknown as {
        metrics: { name: string; unit: string; attributes: Record<string, unknown>[] }[];
      }[];
      const recorded = Object.fromEntries(metrics.map((m) => [m.name, m]));
      expect(Object.keys(recorded).sort()).toEqual([MetricNames.JobDuration, MetricNames.JobsCompleted, MetricNames.JobsFailed].sort());
      expect(recorded[MetricNames.JobsCompleted].attributes).toEqual([
        { [A.QueueName]: name, [A.JobName]: 'report', [A.JobState]: 'completed' },
      ]);
      expect(recorded[MetricNames.JobsFailed].attributes).toEqual([{ [A.QueueName]: name, [A.JobName]: 'broken', [A.JobState]: 'failed' }]);
      expect(recorded[MetricNames.JobDuration].unit).toBe('ms');
    },
    CHILD_TEST_TIMEOUT,
  );
});
