import { isTransientRedisError, retryDelayAfter } from '../connection/connection.js';
import type { IterationScheduler, JobHost } from './host.js';
import type { Job } from './job.js';
import { getLegacyRepeatableJobError, hasLegacyRepeatableKeyShape } from './legacy-repeatable.js';

/** What takes scheduler iterations: a Worker (whose `jobScheduler` and `delay` tests may stub), or a Queue. */
type IterationHost = JobHost & {
  readonly closed?: boolean;
  readonly opts?: { runRetryDelay?: number };
  delay?(ms: number): Promise<void>;
};

const NEXT_ITERATION_FAILED = 'Failed to add repeatable job for next iteration';

function isIterationScheduler(value: unknown): value is IterationScheduler {
  const s = value as Partial<IterationScheduler>;
  return typeof s.upsertJobScheduler === 'function' && typeof s.isJobScheduler === 'function';
}

/**
 * The host's JobScheduler: Queue, Worker and a flow's queues have one; a JobScheduler that made
 * the job is its own.
 */
async function iterationSchedulerOf(host: JobHost): Promise<IterationScheduler> {
  if (host.jobScheduler) return host.jobScheduler;
  if (isIterationScheduler(host)) return host;
  throw new Error(`the job's host (queue "${host.name}") has no jobScheduler to create it with`);
}

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
      const scheduler = await iterationSchedulerOf(host);
      if (hasLegacyRepeatableKeyShape(rjk) && !(await scheduler.isJobScheduler(rjk))) {
        onError(new Error(`${NEXT_ITERATION_FAILED}: ${getLegacyRepeatableJobError(rjk).message}`));
        return true;
      }
      await scheduler.upsertJobScheduler(rjk, job.opts.repeat ?? {}, job.name, job.data, job.opts, { override: false, producerId: job.id });
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

/** An error of a side step (not of the move itself), for the host's 'error' listeners if it has any. */
function reportToHost(host: JobHost, err: unknown): void {
  const emitter = host as JobHost & { listenerCount?: (event: string) => number };
  if (emitter.listenerCount?.('error')) host.emit('error', err);
}

/** Scheduler iterations taken by hand get their next iteration, as when a worker takes them (§7.12). */
export async function scheduleNextIterations(host: JobHost, jobs: Job[]): Promise<void> {
  for (const job of jobs) {
    if (job.repeatJobKey) await scheduleNextIteration(host, job, (err) => reportToHost(host, err));
  }
}
