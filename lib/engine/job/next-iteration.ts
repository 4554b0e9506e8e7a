import { isTransientRedisError, retryDelayAfter } from '../connection/connection.js';
import type { Job, JobHost } from './job.js';
import { jobSchedulerOf, type JobScheduler, type SchedulerOwner } from '../scheduler/job-scheduler.js';
import { getLegacyRepeatableJobError, hasLegacyRepeatableKeyShape } from './legacy-repeatable.js';
import type { JobSchedulerTemplateOptions } from '../scheduler/repeat-options.js';

/** What takes scheduler iterations: a Worker (whose `jobScheduler` and `delay` tests may stub), or a Queue. */
type IterationHost = SchedulerOwner & {
  readonly jobScheduler?: Promise<JobScheduler>;
  readonly closed?: boolean;
  readonly opts?: { runRetryDelay?: number };
  delay?(ms: number): Promise<void>;
};

const NEXT_ITERATION_FAILED = 'Failed to add repeatable job for next iteration';

/**
 * Called when a job with `rjk` was taken, before the processor runs: creates the scheduler's next
 * iteration (wire-format §7.12) through the host's JobScheduler, as BullMQ's worker does.
 * Redis being away is waited out (tries again after `runRetryDelay`, or Conveyor's short backoff,
 * until the host closes). Any other failure goes to `onError` (the error, then BullMQ's "Failed to
 * add repeatable job for next iteration: ...") and resolves false: the job is then not processed
 * but left active, so its lock runs out, the stalled checker hands it back (never failing a live
 * scheduler's iteration) and the next take tries again: the schedule does not silently stop.
 * A BullMQ 5 repeatable job (legacy `rjk`) gets the migration error and is processed.
 */
export async function scheduleNextIteration(jobHost: JobHost, job: Job, onError: (err: unknown) => void): Promise<boolean> {
  const host = jobHost as IterationHost;
  const rjk = job.repeatJobKey;
  if (!rjk || !job.id) return true;
  for (let failures = 1; ; failures++) {
    try {
      const scheduler = await (host.jobScheduler ?? jobSchedulerOf(host));
      if (hasLegacyRepeatableKeyShape(rjk) && !(await scheduler.isJobScheduler(rjk))) {
        onError(new Error(`${NEXT_ITERATION_FAILED}: ${getLegacyRepeatableJobError(rjk).message}`));
        return true;
      }
      const opts = job.opts as JobSchedulerTemplateOptions & { repeat?: object };
      await scheduler.upsertJobScheduler(rjk, opts.repeat ?? {}, job.name, job.data, opts, { override: false, producerId: job.id });
      return true;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (isTransientRedisError(error) && !host.closed) {
        const ms = host.opts?.runRetryDelay ?? retryDelayAfter(error, failures);
        await (host.delay ? host.delay(ms) : new Promise((resolve) => setTimeout(resolve, ms)));
        continue;
      }
      onError(error);
      onError(new Error(`${NEXT_ITERATION_FAILED}: ${error.message}`));
      return false;
    }
  }
}
