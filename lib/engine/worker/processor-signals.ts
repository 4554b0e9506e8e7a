import type { RedisClient } from '../connection/connection.js';
import { DelayedError, JobNotMovedError, WaitingChildrenError, WaitingError } from '../core/errors.js';
import { jobSubKey } from '../core/keys.js';
import type { Job } from '../job/job.js';

/** What a processor throws after moving its job itself. */
export function isMoveSignal(thrown: unknown): thrown is DelayedError | WaitingError | WaitingChildrenError {
  return thrown instanceof DelayedError || thrown instanceof WaitingError || thrown instanceof WaitingChildrenError;
}

/**
 * Whether the job is still in active under this token and from this start: then the processor
 * threw DelayedError & co. without moving it. Comparing attemptsStarted tells a job moved and
 * taken again with the same token (a fetch-next shares its token) from one never moved.
 */
export async function isStillHeld(client: RedisClient, job: Job, token: string): Promise<boolean> {
  const keys = job.queue.keys;
  const replies = await client.multi().get(jobSubKey(job.key, 'lock')).lpos(keys.active, job.id!).hget(job.key, 'ats').exec();
  if (!replies) return false;
  const [[, lock], [, position], [, started]] = replies;
  return lock === token && position !== null && Number(started) === job.attemptsStarted;
}

/**
 * The failure of a processor that threw DelayedError & co. without moving its job: a plain
 * attempt failure (retries apply) instead of a job left locked in active until its lock expires
 * (what bullmq 6.7 does; its stalled checker then runs it again, or fails it as stalled).
 */
export function notMovedError(thrown: DelayedError | WaitingError | WaitingChildrenError, job: Job): JobNotMovedError {
  const how =
    thrown instanceof DelayedError
      ? 'call job.moveToDelayed(timestamp, token) before throwing DelayedError'
      : thrown instanceof WaitingError
        ? 'call job.moveToWait(token) before throwing WaitingError'
        : 'throw WaitingChildrenError only when job.moveToWaitingChildren(token) resolved true';
  return new JobNotMovedError(`The processor threw ${thrown.name} but job ${job.id} was not moved: ${how}`, { cause: thrown });
}
