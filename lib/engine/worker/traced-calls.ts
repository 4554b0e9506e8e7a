import type { Job } from '../job/job.js';
import { CallTracer, replace } from '../telemetry/calls.js';
import type { JobMetrics } from '../telemetry/job-metrics.js';
import { storedMetadata, TelemetryAttributes, type Attributes, type Tracing } from '../telemetry/telemetry.js';
import { instrumentJob } from './traced-jobs.js';

/** The worker calls bullmq 6.7 traces, as Conveyor's Worker has them. */
export interface TracedWorkerCalls {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void;
  close(force?: boolean, ...rest: unknown[]): Promise<void>;
  rateLimit(expireTimeMs: number): Promise<void>;
  getNextJob(token: string, opts?: { block?: boolean }): Promise<Job | undefined>;
  startStalledCheckTimer(): Promise<void>;
  /** One pass of the stalled checker (the timer's, or called by hand): the ids it moved. */
  moveStalledJobsToWait(): Promise<string[]>;
  /** Renews the locks of the jobs in hand (bullmq's extendLocks). */
  renewLocks(): Promise<void>;
  readonly activeJobs: Job[];
}

interface WorkerTelemetry {
  readonly tracing: Tracing;
  readonly metrics: JobMetrics | undefined;
  /** The context background spans start from (detached from whatever call started the worker). */
  readonly base: unknown;
  workerAttributes(): Attributes;
}

/**
 * bullmq's spans for a worker's own calls and background work, put on this worker instance:
 * pause, resume, close, rateLimit, getNextJob (continuing the fetched job's trace; the job's
 * finishing methods then traced too), startStalledCheckTimer, and per pass of the stalled checker
 * (`moveStalledJobsToWait`, a `job stalled` event per job) and of the lock renewal (`extendLocks`,
 * only when jobs are held), both detached from the context the worker started in.
 */
export function traceWorkerCalls(worker: TracedWorkerCalls, t: WorkerTelemetry, report: (err: unknown) => void): void {
  const { tracing } = t;
  const calls = new CallTracer(tracing, report, () => t.workerAttributes());
  const background = () => tracing.detached(t.base);
  calls.async(worker, 'pause', {
    operation: 'pause',
    before: (doNotWaitActive?: boolean) => ({ [TelemetryAttributes.WorkerDoNotWaitActive]: doNotWaitActive }),
  });
  calls.sync(worker, 'resume', { operation: 'resume' });
  calls.async(worker, 'close', {
    operation: 'close',
    before: (force?: boolean) => ({ [TelemetryAttributes.WorkerForceClose]: force ?? false }),
  });
  // bullmq gives this one the worker's id but not its name
  new CallTracer(tracing, report).async(worker, 'rateLimit', {
    operation: 'rateLimit',
    before: (expireTimeMs: number) => ({
      [TelemetryAttributes.WorkerId]: t.workerAttributes()[TelemetryAttributes.WorkerId],
      [TelemetryAttributes.WorkerRateLimit]: expireTimeMs,
    }),
  });
  calls.async(worker, 'startStalledCheckTimer', { operation: 'startStalledCheckTimer' });
  // traced where every pass goes, the timer's (checkStalled) and a call by hand
  calls.async<[], string[]>(worker, 'moveStalledJobsToWait', {
    operation: 'moveStalledJobsToWait',
    parent: background,
    after: (span, ids) => {
      span.setAttributes({ [TelemetryAttributes.WorkerStalledJobs]: ids });
      for (const id of ids) span.addEvent('job stalled', { [TelemetryAttributes.JobId]: id });
    },
  });

  const renewLocks = worker.renewLocks;
  replace(worker, 'renewLocks', function renew(this: TracedWorkerCalls): Promise<void> {
    const ids = worker.activeJobs.map((job) => job.id as string);
    // nothing to renew, no call: bullmq makes no span then either
    const started =
      ids.length > 0
        ? calls.open(
            { operation: 'extendLocks', parent: background, before: () => ({ [TelemetryAttributes.WorkerJobsToExtendLocks]: ids }) },
            [],
          )
        : undefined;
    if (!started) return renewLocks.call(this);
    return tracing.within(started.context, () => renewLocks.call(this)).finally(() => started.span.end());
  });

  const getNextJob = worker.getNextJob;
  replace(worker, 'getNextJob', async function next(this: TracedWorkerCalls, token: string, opts?: { block?: boolean }) {
    const job = await getNextJob.call(this, token, opts);
    // bullmq's span comes after the fetch: it continues the trace of the job it got
    const started = calls.open(
      {
        operation: 'getNextJob',
        parentMetadata: job && storedMetadata(job.opts.telemetry),
        before: () => ({
          [TelemetryAttributes.WorkerOptions]: JSON.stringify({ block: opts?.block ?? true }),
          [TelemetryAttributes.JobId]: job?.id,
        }),
      },
      [],
    );
    started?.span.end();
    if (job) instrumentJob(job, t, true);
    return job;
  });
}
