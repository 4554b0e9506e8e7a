import { MetricNames, TelemetryAttributes, type Counter, type Gauge, type Histogram, type Meter } from './telemetry.js';

/**
 * The instruments bullmq 6.7 records through `telemetry.meter` (same names, units, descriptions
 * and attributes, so dashboards read both engines alike). Each is asked of the meter once, when
 * first used.
 */

/** Where a job went after an attempt or a move, as bullmq's `bullmq.job.state` attribute says. */
export type MovedState = 'completed' | 'failed' | 'delayed' | 'retried' | 'waiting' | 'waiting-children';

const COUNTERS: Record<MovedState, { name: MetricNames; description: string }> = {
  completed: { name: MetricNames.JobsCompleted, description: 'Number of jobs completed' },
  failed: { name: MetricNames.JobsFailed, description: 'Number of jobs failed' },
  delayed: { name: MetricNames.JobsDelayed, description: 'Number of jobs delayed' },
  retried: { name: MetricNames.JobsRetried, description: 'Number of jobs retried' },
  waiting: { name: MetricNames.JobsWaiting, description: 'Number of jobs waiting' },
  'waiting-children': { name: MetricNames.JobsWaitingChildren, description: 'Number of jobs waiting-children' },
};

/** What a recorded job needs to offer. */
interface MeasuredJob {
  name: string;
  processedOn?: number;
}

/** A queue's (or worker's) instruments on one meter. */
export class JobMetrics {
  private readonly counters = new Map<MovedState, Counter>();
  private duration: Histogram | undefined;
  private gauge: Gauge | undefined;

  constructor(
    private readonly meter: Meter,
    private readonly queueName: string,
  ) {}

  /**
   * One job left active for `state`: its counter, and the time since it was taken (processedOn)
   * in the duration histogram.
   */
  moved(job: MeasuredJob, state: MovedState, now = Date.now()): void {
    const attributes = {
      [TelemetryAttributes.QueueName]: this.queueName,
      [TelemetryAttributes.JobName]: job.name,
      [TelemetryAttributes.JobState]: state,
    };
    let counter = this.counters.get(state);
    if (!counter) {
      const { name, description } = COUNTERS[state];
      counter = instrument(this.meter, 'createCounter', name, { description, unit: '1' });
      this.counters.set(state, counter);
    }
    counter.add(1, attributes);
    if (job.processedOn) {
      this.duration ??= instrument(this.meter, 'createHistogram', MetricNames.JobDuration, {
        description: 'Job processing duration',
        unit: 'ms',
      });
      this.duration.record(now - job.processedOn, attributes);
    }
  }

  /** The `bullmq.queue.jobs` gauge: one value per state counted. */
  jobCounts(counts: Record<string, number>): void {
    this.gauge ??= instrument(this.meter, 'createGauge', MetricNames.QueueJobsCount, {
      description: 'Number of jobs in the queue by state',
      unit: '{jobs}',
    });
    for (const [state, count] of Object.entries(counts)) {
      this.gauge.record(count, { [TelemetryAttributes.QueueName]: this.queueName, [TelemetryAttributes.QueueJobsState]: state });
    }
  }
}

function instrument<K extends keyof Meter>(
  meter: Meter,
  method: K,
  name: string,
  options: { description: string; unit: string },
): ReturnType<Meter[K]> {
  const create = meter[method] as unknown;
  if (typeof create !== 'function')
    throw new TypeError(`telemetry.meter.${method} must be a function to record ${name}, got ${typeof create}`);
  return (create as (n: string, o: object) => ReturnType<Meter[K]>).call(meter, name, options);
}
