import { CallTracer, type CallPlan } from './calls.js';
import { JobMetrics } from './job-metrics.js';
import { SpanKind, TelemetryAttributes as A, type Telemetry, type Tracing } from './telemetry.js';

/**
 * bullmq 6.7's spans for a Queue's calls (`<operation> <queue>`, INTERNAL unless said, with its
 * attributes), put on the queue instance when it has telemetry. A method the queue lacks is left
 * out; add/addBulk are traced by the add path itself (producers.ts), upsertJobScheduler
 * by the scheduler (scheduler.ts).
 */
const QUEUE_CALLS: Record<string, CallPlan<any[], any>> = {
  pause: { operation: 'pause' },
  resume: { operation: 'resume' },
  close: { operation: 'close' },
  obliterate: { operation: 'obliterate' },
  drain: { operation: 'drain', before: (delayed = false) => ({ [A.QueueDrainDelay]: delayed }) },
  clean: {
    operation: 'clean',
    before: (grace: number, limit: number, type = 'completed') => ({
      [A.QueueGrace]: grace,
      [A.JobType]: type,
      [A.QueueCleanLimit]: limit,
    }),
    // the count, not the ids: a clean can remove very many jobs
    after: (span, ids: string[]) => span.setAttributes({ [A.QueueCleanCount]: ids.length }),
  },
  remove: {
    operation: 'remove',
    before: (jobId: string, opts?: { removeChildren?: boolean }) => ({
      [A.JobId]: jobId,
      [A.JobOptions]: JSON.stringify({ removeChildren: opts?.removeChildren ?? true }),
    }),
  },
  trimEvents: { operation: 'trimEvents', before: (maxLength: number) => ({ [A.QueueEventMaxLength]: maxLength }) },
  promoteJobs: { operation: 'promoteJobs', before: (opts = {}) => ({ [A.QueueOptions]: optionsText(opts) }) },
  retryJobs: { operation: 'retryJobs', kind: SpanKind.PRODUCER, before: (opts = {}) => ({ [A.QueueOptions]: optionsText(opts) }) },
  rateLimit: { operation: 'rateLimit', before: (expireTimeMs: number) => ({ [A.QueueRateLimit]: expireTimeMs }) },
  removeDeduplicationKey: { operation: 'removeDeduplicationKey', before: (id: string) => ({ [A.DeduplicationKey]: id }) },
  updateJobProgress: {
    operation: 'updateJobProgress',
    before: (jobId: string, progress: unknown) => ({ [A.JobId]: jobId, [A.JobProgress]: optionsText(progress) }),
  },
};

export function traceQueueCalls(queue: object, tracing: Tracing, report: (err: unknown) => void): void {
  const calls = new CallTracer(tracing, report);
  for (const [method, plan] of Object.entries(QUEUE_CALLS)) {
    if (typeof (queue as Record<string, unknown>)[method] === 'function') calls.async(queue, method, plan);
  }
}

function optionsText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

interface CountedQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

const gauges = new WeakMap<CountedQueue, JobMetrics>();

/**
 * `queue.recordJobCountsMetric(...types)`: the counts getJobCounts gives, each also recorded in the
 * `bullmq.queue.jobs` gauge (attributes: queue name, state) when the queue's telemetry has a meter.
 */
export async function recordJobCounts(
  queue: CountedQueue,
  telemetry: Telemetry | undefined,
  types: string[],
): Promise<Record<string, number>> {
  const counts = await queue.getJobCounts(...types);
  const meter = telemetry?.meter;
  if (meter) {
    let metrics = gauges.get(queue);
    if (!metrics) gauges.set(queue, (metrics = new JobMetrics(meter, queue.name)));
    metrics.jobCounts(counts);
  }
  return counts;
}
