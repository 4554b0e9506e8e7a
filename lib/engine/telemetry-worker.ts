import type { EventEmitter } from 'node:events';
import type { Job } from './job.js';
import { recordFailure, SpanKind, storedMetadata, TelemetryAttributes, Tracing, type Span, type Telemetry } from './telemetry.js';

/** What became of one run of a job, as the worker reported it. */
type Reported = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The worker as its tracing sees it: its events, its id and a place to report errors. */
interface TracedWorker extends EventEmitter {
  readonly name: string;
  readonly id: string;
}

/**
 * A `process <queue>` span (kind CONSUMER) per job a worker runs, continuing the producer's trace
 * from the job's `tm` metadata. The processor runs with the span's context active, so spans it
 * starts (and jobs it adds) join the trace. The span ends after the outcome is stored: a
 * `job completed` event with the result, or `job failed` with the reason and the exception
 * recorded; then the attempts made and the processed/finished times (BullMQ's names).
 *
 * A job that carries no context starts a trace of its own: from the context manager's `root()`,
 * or else from the context that was active when the worker was made.
 *
 * The outcome comes from the worker's own `completed` / `failed` events (which report the final
 * word, e.g. a completion refused because of pending children), matched to the job in hand.
 */
export class WorkerTracing {
  private readonly tracing: Tracing;
  private readonly reported = new Map<Job, Reported | undefined>();
  /**
   * What a job's trace starts from: never the active context, which (with a context manager built
   * on AsyncLocalStorage) is that of the job whose finish fetched this one.
   */
  private readonly base: unknown;

  constructor(
    telemetry: Telemetry,
    private readonly worker: TracedWorker,
    private readonly onError: (err: unknown) => void,
  ) {
    this.tracing = new Tracing(telemetry, worker.name);
    const { contextManager } = telemetry;
    this.base = contextManager.root ? contextManager.root() : contextManager.active();
    worker.on('completed', (job: Job, value: unknown) => this.report(job, { ok: true, value }));
    worker.on('failed', (job: Job | undefined, error: unknown) => job && this.report(job, { ok: false, error }));
  }

  private report(job: Job, outcome: Reported): void {
    if (this.reported.has(job)) this.reported.set(job, outcome);
  }

  /**
   * Runs `run` (the worker's whole handling of the job) inside the job's span. A tracer that fails
   * to start the span is reported and the job runs untraced: tracing must never strand a job.
   */
  async process(job: Job, run: () => Promise<unknown>): Promise<void> {
    let started = false;
    try {
      await this.tracing.trace(
        {
          operation: 'process',
          name: `process ${this.worker.name}`,
          kind: SpanKind.CONSUMER,
          parent: this.base,
          parentMetadata: storedMetadata(job.opts.telemetry),
        },
        async (span) => {
          started = true;
          span.setAttributes({
            [TelemetryAttributes.WorkerId]: this.worker.id,
            [TelemetryAttributes.JobId]: job.id,
            [TelemetryAttributes.JobName]: job.name,
          });
          this.reported.set(job, undefined);
          let outcome: Reported | undefined;
          try {
            await run();
          } finally {
            outcome = this.reported.get(job);
            this.reported.delete(job);
          }
          if (outcome) describeOutcome(span, job, outcome);
        },
      );
    } catch (err) {
      if (started) throw err;
      this.onError(err);
      await run();
    }
  }
}

function describeOutcome(span: Span, job: Job, outcome: Reported): void {
  if (outcome.ok) {
    span.addEvent('job completed', { [TelemetryAttributes.JobResult]: resultText(outcome.value) });
  } else {
    const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    span.addEvent('job failed', { [TelemetryAttributes.JobFailedReason]: reason });
    recordFailure(span, outcome.error);
  }
  span.setAttributes({ [TelemetryAttributes.JobAttemptsMade]: job.attemptsMade });
  span.setAttributes({
    [TelemetryAttributes.JobAttemptFinishedTimestamp]: job.finishedOn ?? Date.now(),
    [TelemetryAttributes.JobProcessedTimestamp]: job.processedOn,
  });
}

/** The result as stored (JSON); the worker has already refused results that are not JSON. */
function resultText(value: unknown): string {
  try {
    return JSON.stringify(value === undefined ? null : value) ?? 'null';
  } catch {
    return String(value);
  }
}
