// The same work on bullmq 6.7 and on Conveyor, each engine with its own BullMQOtel (bullmq-otel as
// BullMQ users configure it) over the OpenTelemetry SDK's in-memory span exporter and metric
// reader: the same spans (names, kinds, parents, status, attributes and events, modulo ids and
// clocks) and the same instruments (names, types, units, descriptions, attributes, counts).
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { MetricNames, Queue, TelemetryAttributes as A, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { idOf, OtelHarness, parentOf, type ExportedMetric } from '../support/otel.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection } from './support.js';

const otel = new OtelHarness();
afterAll(() => otel.shutdown());

/** Background work whose count depends on timing (stalled checks, lock renewals). */
const BACKGROUND = ['moveStalledJobsToWait', 'startStalledCheckTimer', 'extendLocks'];
/** Attributes whose values are clock readings. */
const CLOCKS: string[] = [A.JobAttemptFinishedTimestamp, A.JobProcessedTimestamp];

type Engine = 'bullmq' | 'conveyor';

/** The spans one engine's tracer ended (each engine's BullMQOtel names its own tracer). */
function spansOf(engine: Engine): ReadableSpan[] {
  return otel.spans().filter((s) => s.instrumentationScope.name === `${engine}-parity`);
}

/**
 * One line per span, sorted: name, kind, parent's name, status, attributes, and events with their
 * attributes; queue name, worker id and clock values masked.
 */
function canonicalSpans(spans: ReadableSpan[], queue: string, workerId: string): string[] {
  const byId = new Map(spans.map((s) => [idOf(s), s]));
  const mask = (text: string) => text.replaceAll(queue, 'Q').replaceAll(workerId, '<worker>');
  const values = (attributes: Record<string, unknown> = {}) =>
    Object.fromEntries(
      Object.entries(attributes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => {
          return [key, CLOCKS.includes(key) ? typeof value : value];
        }),
    );
  return spans
    .filter((s) => !BACKGROUND.some((op) => s.name.startsWith(`${op} `)))
    .map((s) => {
      const parentId = parentOf(s);
      const parent = parentId === undefined ? '-' : (byId.get(parentId)?.name ?? 'other');
      const events = s.events.map((e) => ({ name: e.name, attributes: values(e.attributes) }));
      return mask(
        `${s.name} kind=${s.kind} parent=${parent} status=${s.status.code} ${JSON.stringify(values(s.attributes))} ${JSON.stringify(events)}`,
      );
    })
    .sort();
}

/** One line per instrument and attribute set: descriptor, attribute keys and values, count. */
function canonicalMetrics(metrics: Map<string, ExportedMetric>, queue: string): string[] {
  return [...metrics.values()]
    .flatMap((m) =>
      m.points.map((p) => {
        const attributes = Object.fromEntries(Object.entries(p.attributes).sort(([a], [b]) => a.localeCompare(b)));
        // a histogram's count, not its (timing dependent) sum
        const value = typeof p.value === 'number' ? p.value : p.value.count;
        return `${m.name} ${m.type} unit=${m.unit} "${m.description}" ${JSON.stringify(attributes).replaceAll(queue, 'Q')} ${value}`;
      }),
    )
    .sort();
}

describe('interop: bullmq-otel spans and metrics, bullmq 6.7 and Conveyor side by side', () => {
  const scope = scopePerTest('interop');

  it('add, process (ok, failed and retried, failed for good), complete: the same spans and instruments on both engines', async () => {
    const run = async (engine: Engine) => {
      const name = scope.name(`otel-parity-${engine}`);
      const telemetry = new BullMQOtel({
        tracerName: `${engine}-parity`,
        meterName: `${engine}-parity`,
        version: '1',
        enableMetrics: true,
      });
      const queue =
        engine === 'bullmq'
          ? scope.track(new BullQueue(name, { connection: bullConnection(), telemetry }))
          : scope.track(new Queue(name, { connection: conveyorConnection(), telemetry }));
      await queue.add('ok', { v: 1 }, { jobId: 'job-ok' });
      await queue.add('flaky', { v: 2 }, { jobId: 'job-flaky', attempts: 2 });
      await queue.add('bad', { v: 3 }, { jobId: 'job-bad' });
      const processor = async (job: { name: string; attemptsMade: number; data: { v: number } }) => {
        if (job.name === 'bad') throw new Error('bad input');
        if (job.name === 'flaky' && job.attemptsMade === 0) throw new Error('try again');
        return { doubled: job.data.v * 2 };
      };
      const opts = { telemetry, name: 'parity-worker' };
      const worker =
        engine === 'bullmq'
          ? scope.track(new BullWorker(name, processor, { connection: bullConnection(), ...opts }))
          : scope.track(new Worker(name, processor, { connection: conveyorConnection(), ...opts }));
      await Promise.all([times(worker, 'completed', 2), times(worker, 'failed', 2)]);
      // the process span of the last attempt ends just after its event
      await until(
        'four process spans',
        async () => spansOf(engine).filter((s) => s.name === `process ${name}`).length,
        (n) => n === 4,
      );
      await worker.close();
      await queue.recordJobCountsMetric('completed', 'failed');
      return {
        spans: canonicalSpans(spansOf(engine), name, worker.id),
        metrics: canonicalMetrics(await otel.metrics(`${engine}-parity`), name),
      };
    };
    const theirs = await run('bullmq');
    const ours = await run('conveyor');

    expect(ours.spans).toEqual(theirs.spans);
    expect(ours.metrics).toEqual(theirs.metrics);

    // what both made, to be read here without running it
    const spanNames = (lines: string[]) => [...new Set(lines.map((l) => l.slice(0, l.indexOf(' status='))))].sort();
    expect(spanNames(ours.spans)).toEqual(
      [
        'add Q.bad kind=3 parent=-',
        'add Q.flaky kind=3 parent=-',
        'add Q.ok kind=3 parent=-',
        'process Q kind=4 parent=add Q.bad',
        'process Q kind=4 parent=add Q.flaky',
        'process Q kind=4 parent=add Q.ok',
        'complete Q kind=0 parent=process Q',
        'fail Q kind=0 parent=process Q',
        'retry Q kind=0 parent=process Q',
        'close Q kind=0 parent=-',
      ].sort(),
    );
    // an attempt's outcome is an event of its process span
    const events = (prefix: string) => ours.spans.filter((l) => l.startsWith(prefix)).map((l) => l.slice(l.lastIndexOf(' [') + 1));
    expect(events('process Q kind=4 parent=add Q.bad')).toEqual([
      '[{"name":"job failed","attributes":{"bullmq.job.failed.reason":"bad input"}}]',
    ]);
    expect(events('process Q kind=4 parent=add Q.flaky').sort()).toEqual([
      '[{"name":"job completed","attributes":{"bullmq.job.result":"{\\"doubled\\":4}"}}]',
      '[{"name":"job failed","attributes":{"bullmq.job.failed.reason":"try again"}}]',
    ]);
    expect([...new Set(ours.metrics.map((l) => l.split(' ').slice(0, 3).join(' ')))].sort()).toEqual(
      [
        `${MetricNames.QueueJobsCount} GAUGE unit={jobs}`,
        `${MetricNames.JobsCompleted} COUNTER unit=1`,
        `${MetricNames.JobsFailed} COUNTER unit=1`,
        `${MetricNames.JobsRetried} COUNTER unit=1`,
        `${MetricNames.JobDuration} HISTOGRAM unit=ms`,
      ].sort(),
    );
  });
});
