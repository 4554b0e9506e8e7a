// Conveyor with bullmq-otel (what BullMQ users pass as `telemetry`) on a real OpenTelemetry SDK
// with in-memory exporters: the trace carried from add to process in the job's `tm` (W3C
// traceparent), and the metrics of telemetry.meter with bullmq 6.7's names, units, descriptions and
// attributes: job counters per outcome, the duration histogram, the job-counts gauge.
import { SpanKind as OtelSpanKind } from '@opentelemetry/api';
import { BullMQOtel } from 'bullmq-otel';
import { DelayedError, MetricNames, Queue, TelemetryAttributes as A, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { idOf, OtelHarness, parentOf, traceOf, type ExportedMetric } from '../support/otel.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

const otel = new OtelHarness();
afterAll(() => otel.shutdown());

function telemetry(enableMetrics = true): BullMQOtel {
  return new BullMQOtel({ tracerName: 'conveyor-test', meterName: 'conveyor-test', version: '1', enableMetrics });
}

/** The points of an instrument that belong to one queue. */
function pointsOf(metric: ExportedMetric | undefined, queue: string) {
  return (metric?.points ?? []).filter((p) => p.attributes[A.QueueName] === queue);
}

describe('telemetry with bullmq-otel on the OpenTelemetry SDK', () => {
  const scope = scopePerTest();

  it('a job continues its producer trace: the add span is the process span parent, over the W3C traceparent stored as tm', async () => {
    const name = scope.name();
    const tel = telemetry(false);
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: tel }));
    const job = await queue.add('traced', { n: 1 });
    const completed = times(
      scope.track(new Worker(name, async () => 'ok', { connection: connection(), telemetry: tel, name: 'otel-worker' })),
      'completed',
      1,
    );
    await completed;
    const [add] = otel.named(`add ${name}.traced`);
    const tm = JSON.parse((await scope.redis.hget(`bull:${name}:${job.id}`, 'opts'))!).tm as string;
    expect(JSON.parse(tm)).toEqual({ traceparent: `00-${traceOf(add)}-${idOf(add)}-01` });
    // the process span ends just after the completed event: wait for it
    await until(
      'the process span',
      () => otel.named(`process ${name}`).length,
      (n) => n === 1,
    );
    const [process] = otel.named(`process ${name}`);
    expect(add.kind).toBe(OtelSpanKind.PRODUCER);
    expect(process.kind).toBe(OtelSpanKind.CONSUMER);
    expect(traceOf(process)).toBe(traceOf(add));
    expect(parentOf(process)).toBe(idOf(add));
    expect(process.attributes).toMatchObject({
      [A.QueueName]: name,
      [A.QueueOperation]: 'process',
      [A.WorkerName]: 'otel-worker',
      [A.JobId]: job.id,
      [A.JobName]: 'traced',
      [A.JobAttemptsMade]: 1,
    });
    expect(process.events.map((e) => [e.name, e.attributes])).toEqual([['job completed', { [A.JobResult]: '"ok"' }]]);
    const [complete] = otel.named(`complete ${name}`);
    expect(parentOf(complete)).toBe(idOf(process));
    expect(complete.kind).toBe(OtelSpanKind.INTERNAL);
  });

  it("counts completed, failed, retried and delayed attempts and times them, with bullmq's instruments and attributes", async () => {
    const name = scope.name();
    const tel = telemetry();
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: tel }));
    await queue.add('ok', {});
    await queue.add('bad', {});
    await queue.add('again', {}, { attempts: 2 });
    await queue.add('later', {}, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    const worker = new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'bad') throw new Error('bad');
        if (job.attemptsMade === 0 && (job.name === 'again' || job.name === 'later')) throw new Error('once more');
        await new Promise((resolve) => setTimeout(resolve, 30));
        return job.name;
      },
      { connection: connection(), telemetry: tel, autorun: false },
    );
    scope.track(worker);
    const completed = times(worker, 'completed', 3);
    void worker.run();
    await completed;
    const all = await otel.metrics();
    const counter = (metric: MetricNames) =>
      pointsOf(all.get(metric), name).map((p) => [p.attributes[A.JobName], p.attributes[A.JobState], p.value]);
    expect(counter(MetricNames.JobsCompleted).sort()).toEqual([
      ['again', 'completed', 1],
      ['later', 'completed', 1],
      ['ok', 'completed', 1],
    ]);
    expect(counter(MetricNames.JobsFailed)).toEqual([['bad', 'failed', 1]]);
    expect(counter(MetricNames.JobsRetried)).toEqual([['again', 'retried', 1]]);
    expect(counter(MetricNames.JobsDelayed)).toEqual([['later', 'delayed', 1]]);
    expect(all.get(MetricNames.JobsCompleted)).toMatchObject({ type: 'COUNTER', unit: '1', description: 'Number of jobs completed' });
    expect(all.get(MetricNames.JobsFailed)).toMatchObject({ unit: '1', description: 'Number of jobs failed' });
    expect(all.get(MetricNames.JobsRetried)).toMatchObject({ unit: '1', description: 'Number of jobs retried' });
    expect(all.get(MetricNames.JobsDelayed)).toMatchObject({ unit: '1', description: 'Number of jobs delayed' });
    expect(all.get(MetricNames.JobDuration)).toMatchObject({ type: 'HISTOGRAM', unit: 'ms', description: 'Job processing duration' });
    const durations = pointsOf(all.get(MetricNames.JobDuration), name);
    // one point per job name and outcome, with the same attributes as the counters
    expect(durations.map((p) => `${p.attributes[A.JobName]}:${p.attributes[A.JobState]}`).sort()).toEqual([
      'again:completed',
      'again:retried',
      'bad:failed',
      'later:completed',
      'later:delayed',
      'ok:completed',
    ]);
    const ok = durations.find((p) => p.attributes[A.JobName] === 'ok')!.value as { count: number; sum: number };
    expect(ok.count).toBe(1);
    expect(ok.sum).toBeGreaterThanOrEqual(25);
  });

  it('moves a processor or a manual worker makes through the job are counted as bullmq counts them', async () => {
    const name = scope.name();
    const childQueue = scope.name();
    const tel = telemetry();
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: tel }));
    const children = scope.track(new Queue(childQueue, { connection: connection() }));
    await queue.add('manual', {});
    const manual = scope.track(new Worker(name, null, { connection: connection(), telemetry: tel, autorun: false }));
    let job = (await manual.getNextJob('t1'))!;
    await job.moveToWait('t1');
    job = (await manual.getNextJob('t2'))!;
    await job.moveToDelayed(Date.now() + 60_000, 't2');
    await queue.promoteJobs();
    job = (await manual.getNextJob('t3'))!;
    await children.add('child', {}, { parent: { id: job.id!, queue: `bull:${name}` } });
    expect(await job.moveToWaitingChildren('t3')).toBe(true);
    await manual.close();
    // and a processor that delays its own job
    await queue.add('self-delayed', {});
    const worker = scope.track(
      new Worker(
        name,
        async (j: Job, token?: string) => {
          await j.moveToDelayed(Date.now() + 60_000, token);
          throw new DelayedError();
        },
        { connection: connection(), telemetry: tel },
      ),
    );
    await until(
      'the job delayed by its processor',
      () => queue.getDelayedCount(),
      (n) => n === 1,
    );
    await worker.close();
    const all = await otel.metrics();
    const states = (metric: MetricNames) =>
      pointsOf(all.get(metric), name).map((p) => `${p.attributes[A.JobName]}:${p.attributes[A.JobState]}:${p.value}`);
    expect(states(MetricNames.JobsWaiting)).toEqual(['manual:waiting:1']);
    expect(states(MetricNames.JobsDelayed).sort()).toEqual(['manual:delayed:1', 'self-delayed:delayed:1']);
    expect(states(MetricNames.JobsWaitingChildren)).toEqual(['manual:waiting-children:1']);
    expect(all.get(MetricNames.JobsWaitingChildren)).toMatchObject({ unit: '1', description: 'Number of jobs waiting-children' });
  });

  it('recordJobCountsMetric() records the bullmq.queue.jobs gauge per state, and only returns the counts without a meter', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection(), telemetry: telemetry() }));
    await queue.addBulk([1, 2, 3].map((n) => ({ name: `j${n}`, data: {} })));
    await queue.add('later', {}, { delay: 60_000 });
    expect(await queue.recordJobCountsMetric('waiting', 'delayed')).toEqual({ waiting: 3, delayed: 1 });
    const gauge = (await otel.metrics()).get(MetricNames.QueueJobsCount);
    expect(gauge).toMatchObject({ type: 'GAUGE', unit: '{jobs}', description: 'Number of jobs in the queue by state' });
    expect(pointsOf(gauge, name).map((p) => [p.attributes[A.QueueJobsState], p.value])).toEqual([
      ['waiting', 3],
      ['delayed', 1],
    ]);
    const all = await queue.recordJobCountsMetric();
    expect(all).toEqual(await queue.getJobCounts());
    expect(pointsOf((await otel.metrics()).get(MetricNames.QueueJobsCount), name)).toHaveLength(Object.keys(all).length);
    // without a meter, or without telemetry, the same counts and no gauge point
    const other = scope.name();
    const quiet = scope.track(new Queue(other, { connection: connection(), telemetry: telemetry(false) }));
    const plain = scope.track(new Queue(other, { connection: connection() }));
    await plain.add('j', {});
    expect(await quiet.recordJobCountsMetric('waiting')).toEqual({ waiting: 1 });
    expect(await plain.recordJobCountsMetric('waiting')).toEqual({ waiting: 1 });
    expect(pointsOf((await otel.metrics()).get(MetricNames.QueueJobsCount), other)).toEqual([]);
  });
});
