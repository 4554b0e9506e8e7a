import type { Job } from '../job/job.js';
import { replace } from '../telemetry/calls.js';
import type { JobMetrics, MovedState } from '../telemetry/job-metrics.js';
import { recordFailure, TelemetryAttributes, type Tracing } from '../telemetry/telemetry.js';

/**
 * The moves a job makes through its own methods, traced and measured as bullmq 6.7's Job does
 * them: `complete <queue>` and `fail` / `retry` / `delay <queue>` spans for moveToCompleted and
 * moveToFailed, and a count (and duration) per move in the metrics. Put on the job objects a worker
 * with telemetry hands out: those of getNextJob and processJob (spans and metrics), and those its
 * processor gets (metrics for the moves the processor makes itself; the worker's own finish is
 * measured from its events, tracing.ts).
 */

export interface JobInstruments {
  tracing: Tracing;
  metrics: JobMetrics | undefined;
}

const instrumented = new WeakMap<Job, { finishes: boolean }>();

/** What became of a failed attempt, told by the job as the move left it (as bullmq sets its fields). */
export function failedAttemptState(job: Job, finishedOnBefore: number | undefined): 'failed' | 'delayed' | 'retried' {
  if (job.finishedOn !== undefined && job.finishedOn !== finishedOnBefore) return 'failed';
  return job.delay > 0 ? 'delayed' : 'retried';
}

/** bullmq's span operation for each outcome of moveToFailed. */
export const FAIL_OPERATIONS = { failed: 'fail', delayed: 'delay', retried: 'retry' } as const;

/**
 * Instruments `job` (once). With `finishes`, moveToCompleted and moveToFailed too (jobs finished by
 * hand); without, only the moves a processor makes (moveToDelayed, moveToWait,
 * moveToWaitingChildren), and only when there are metrics to record.
 */
export function instrumentJob(job: Job, tools: JobInstruments, finishes: boolean): void {
  const done = instrumented.get(job);
  if (done && (done.finishes || !finishes)) return;
  const { tracing, metrics } = tools;
  const measure = (state: MovedState) => metrics?.moved(job, state);
  if (!done && metrics) {
    after(job, 'moveToDelayed', () => measure('delayed'));
    after(job, 'moveToWait', () => measure('waiting'));
    after(job, 'moveToWaitingChildren', (moved) => moved === true && measure('waiting-children'));
  }
  if (finishes) {
    const complete = job.moveToCompleted;
    replace(job, 'moveToCompleted', function moveToCompleted(this: Job, ...args: Parameters<Job['moveToCompleted']>) {
      return tracing.trace({ operation: 'complete' }, async (span) => {
        span.setAttributes({ [TelemetryAttributes.JobName]: job.name, [TelemetryAttributes.JobId]: job.id });
        const reply = await complete.apply(this, args);
        measure('completed');
        return reply;
      });
    });
    const fail = job.moveToFailed;
    replace(job, 'moveToFailed', async function moveToFailed(this: Job, ...args: Parameters<Job['moveToFailed']>) {
      const finishedOnBefore = job.finishedOn;
      let state: 'failed' | 'delayed' | 'retried' = 'failed';
      let thrown: { err: unknown } | undefined;
      try {
        const reply = await fail.apply(this, args);
        state = failedAttemptState(job, finishedOnBefore);
        measure(state);
        return reply;
      } catch (err) {
        thrown = { err };
        throw err;
      } finally {
        // which of the three the move was is known once it is done: the span marks it then
        const { span } = tracing.start({ operation: FAIL_OPERATIONS[state] });
        span.setAttributes({ [TelemetryAttributes.JobName]: job.name, [TelemetryAttributes.JobId]: job.id });
        if (thrown) recordFailure(span, thrown.err);
        span.end();
      }
    });
  }
  instrumented.set(job, { finishes: finishes || done?.finishes === true });
}

/** Runs `then` with what `job[key]` resolved with, after each successful call. */
function after(job: Job, key: 'moveToDelayed' | 'moveToWait' | 'moveToWaitingChildren', then: (result: unknown) => void): void {
  const original = job[key] as (...args: unknown[]) => Promise<unknown>;
  replace(job, key, async function moved(this: Job, ...args: unknown[]) {
    const result = await original.apply(this, args);
    then(result);
    return result;
  });
}
