import type { EventEmitter } from 'node:events';
import { describeFailure } from '../core/failure.js';
import type { Job } from '../job/job.js';
import { JobMetrics } from '../telemetry/job-metrics.js';
import {
  recordFailure,
  SpanKind,
  storedMetadata,
  TelemetryAttributes,
  Tracing,
  type Attributes,
  type Span,
  type Telemetry,
} from '../telemetry/telemetry.js';
import { traceWorkerCalls, type TracedWorkerCalls } from './traced-calls.js';
import { failedAttemptState, FAIL_OPERATIONS, instrumentJob } from './traced-jobs.js';

/** The worker as its tracing sees it: its events, its id, name and the calls traced. */
export interface TracedWorker extends EventEmitter, TracedWorkerCalls {
  readonly name: string;
  readonly id: string;
  readonly opts: { name?: string };
}

/** A job being processed under a `process` span. */
interface InFlight {
  span: Span;
  context: unknown;
  /** finishedOn when the attempt began: a final failure sets a new one. */
  finishedOnBefore: number | undefined;
  /** Processed by processJob(): the job's own moveToCompleted/moveToFailed are traced and measured. */
  byHand: boolean;
}

/**
 * A worker's telemetry (bullmq 6.7's spans, events, attributes and metrics). Per job: a
 * `process <queue>` span (CONSUMER) continuing the producer's trace from the job's `tm`, with the
 * processor running in its context (spans it starts and jobs it adds join the trace); once the
 * outcome is stored, a `complete` / `fail` / `retry` / `delay` child span, a `job completed` event
 * with the result or `job failed` with the reason, the attempts made, then the processed and
 * finished times; with a meter, the job counted and its duration recorded by state.
 *
 * The worker's own loop finishes jobs in batches, not through job methods: the outcome comes from
 * its `completed` / `failed` events (which report the final word, e.g. a completion refused
 * because of pending children), matched to the job in hand. Those child spans mark the outcome
 * when it is stored (they take no time of their own).
 *
 * A job that carries no context starts a trace of its own: from the context manager's `root()`,
 * or else from the context that was active when the worker was made.
 */
export class WorkerTracing {
  readonly tracing: Tracing;
  readonly metrics: JobMetrics | undefined;
  private readonly inFlight = new Map<Job, InFlight>();
  /**
   * What a job's trace starts from: never the active context, which (with a context manager built
   * on AsyncLocalStorage) is that of the job whose finish fetched this one.
   */
  readonly base: unknown;

  constructor(
    telemetry: Telemetry,
    private readonly worker: TracedWorker,
    private readonly onError: (err: unknown) => void,
  ) {
    this.tracing = new Tracing(telemetry, worker.name);
    this.metrics = telemetry.meter ? new JobMetrics(telemetry.meter, worker.name) : undefined;
    this.base = this.tracing.detached(telemetry.contextManager.active());
    worker.on('completed', (job: Job, value: unknown) => this.completed(job, value));
    worker.on('failed', (job: Job | undefined, error: unknown) => job && this.failed(job, error));
    traceWorkerCalls(worker, this, onError);
  }

  /** BullMQ's attributes of every worker span. */
  workerAttributes(): Attributes {
    return { [TelemetryAttributes.WorkerId]: this.worker.id, [TelemetryAttributes.WorkerName]: this.worker.opts.name };
  }

  /**
   * Runs `run` (the worker's whole handling of the job) inside the job's span. A tracer that fails
   * to start the span is reported and the job runs untraced: tracing must never strand a job.
   */
  async process(job: Job, run: () => Promise<unknown>): Promise<void> {
    let open: InFlight;
    try {
      open = this.open(job, false);
      if (this.metrics) instrumentJob(job, this, false);
    } catch (err) {
      this.onError(err);
      await run();
      return;
    }
    await this.inside(job, open, run);
  }

  /** processJob(): as process(), the job's own finishing methods traced and measured. */
  async processByHand<T>(job: Job, run: () => Promise<T>): Promise<T> {
    let open: InFlight;
    try {
      open = this.open(job, true);
      instrumentJob(job, this, true);
    } catch (err) {
      this.onError(err);
      return run();
    }
    return this.inside(job, open, run);
  }

  private open(job: Job, byHand: boolean): InFlight {
    const { span, context } = this.tracing.start({
      operation: 'process',
      kind: SpanKind.CONSUMER,
      parent: this.base,
      parentMetadata: storedMetadata(job.opts.telemetry),
    });
    span.setAttributes({ ...this.workerAttributes(), [TelemetryAttributes.JobId]: job.id, [TelemetryAttributes.JobName]: job.name });
    return { span, context, finishedOnBefore: job.finishedOn, byHand };
  }

  private async inside<T>(job: Job, open: InFlight, run: () => Promise<T>): Promise<T> {
    const { span } = open;
    this.inFlight.set(job, open);
    try {
      return await this.tracing.within(open.context, run);
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      if (this.inFlight.get(job) === open) this.inFlight.delete(job);
      try {
        span.setAttributes({
          [TelemetryAttributes.JobAttemptFinishedTimestamp]: job.finishedOn ?? Date.now(),
          [TelemetryAttributes.JobProcessedTimestamp]: job.processedOn,
        });
        span.end();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private completed(job: Job, value: unknown): void {
    const open = this.inFlight.get(job);
    if (!open) return;
    if (!open.byHand) this.outcome(open, job, 'complete', 'completed');
    open.span.addEvent('job completed', { [TelemetryAttributes.JobResult]: resultText(value) });
    open.span.setAttributes({ [TelemetryAttributes.JobAttemptsMade]: job.attemptsMade });
  }

  private failed(job: Job, error: unknown): void {
    const open = this.inFlight.get(job);
    if (!open) return;
    if (!open.byHand) {
      const state = failedAttemptState(job, open.finishedOnBefore);
      this.outcome(open, job, FAIL_OPERATIONS[state], state);
    }
    open.span.addEvent('job failed', { [TelemetryAttributes.JobFailedReason]: describeFailure(error).reason });
    open.span.setAttributes({ [TelemetryAttributes.JobAttemptsMade]: job.attemptsMade });
  }

  /** The child span that marks where the job went, and its metrics. */
  private outcome(open: InFlight, job: Job, operation: string, state: 'completed' | 'failed' | 'delayed' | 'retried'): void {
    const { span } = this.tracing.start({ operation, parent: open.context });
    span.setAttributes({ [TelemetryAttributes.JobName]: job.name, [TelemetryAttributes.JobId]: job.id });
    span.end();
    this.metrics?.moved(job, state);
  }
}

/** The result as bullmq puts it in the event: JSON (no attribute for undefined). */
function resultText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
