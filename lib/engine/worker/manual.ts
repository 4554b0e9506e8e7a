/**
 * A Worker driven by hand (BullMQ's "manual processing"): no processor, `autorun: false`; the
 * caller takes jobs with `getNextJob`, finishes them with `job.moveToCompleted` / `moveToFailed`
 * (../job/moves-by-hand.ts, with the script arguments and failure plans the worker's own finish
 * path uses), keeps their locks with `job.extendLock` / `worker.extendJobLocks` and runs the
 * stalled checker with `startStalledCheckTimer`. Cancellation arguments are checked here too.
 */
import type { QueueBase } from '../connection/queue-base.js';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import { checkBoolean, checkInteger, checkOptionsObject } from '../core/validation.js';
import type { JobHost } from '../job/host.js';
import type { Job } from '../job/job.js';
import { checkToken, extendLocks } from '../job/moves-by-hand.js';
import { scheduleNextIterations } from '../job/next-iteration.js';

export interface GetNextJobOptions {
  /**
   * Wait for a job when none is ready: on the queue's marker, as the worker's own loop waits, at
   * most drainDelay (a delayed job due sooner is waited for too). @default true
   */
  block?: boolean;
}

/** What getNextJob needs from the Worker's insides (handed over by the Worker itself). */
export interface ManualAccess {
  readonly worker: JobHost & { readonly opts: { drainDelay: number } };
  isClosing(): boolean;
  /** worker.pause() was called (and no resume() since). */
  isPaused(): boolean;
  /** The worker runs its own fetch loop (a processor and run()). */
  isRunning(): boolean;
  /** One moveToActive call for one job, locked with `token`. */
  fetch(token: string): Promise<{ rateLimitTtl: number; nextDelayed: number; jobs: Job[] }>;
  /** The blocking connection exists (made on first use); false while closing. */
  connectBlocking(): Promise<boolean>;
  /** Blocks on the marker until a job may be ready, `nextDelayed` is due, or `deadline` (ms). */
  waitForJobs(deadline: number, nextDelayed: number): Promise<void>;
  /** A wait that close() ends at once. */
  sleep(ms: number): Promise<void>;
  notify(event: string, ...args: unknown[]): void;
}

/**
 * `worker.getNextJob(token, { block })`. A fetch first; when it finds nothing and `block` is set,
 * waits for the marker (or the rate limit's end) and fetches again, until drainDelay has passed.
 * Unlike bullmq 6.7 (which returns undefined at once when its previous fetch had found a job, or
 * when it pops a stale marker) a blocking call only gives up after drainDelay.
 */
export async function takeNextJob(access: ManualAccess, token: unknown, opts?: unknown): Promise<Job | undefined> {
  checkToken('token', token);
  const o = checkOptionsObject('getNextJob options', opts, ['block']);
  const block = o.block ?? true;
  checkBoolean('block', block);
  const { worker } = access;
  if (access.isRunning()) {
    throw new Error(
      `getNextJob() is for a worker driven by hand, but worker "${worker.name}" runs its own loop: create it with autorun: false and no processor`,
    );
  }
  // as in BullMQ, a paused (or closing) worker hands out nothing
  if (access.isClosing() || access.isPaused()) return undefined;
  const deadline = Date.now() + worker.opts.drainDelay * 1000;
  for (;;) {
    const reply = await access.fetch(token);
    const [job] = reply.jobs;
    if (job) {
      // a scheduler iteration taken by hand gets its next iteration too (§7.12)
      await scheduleNextIterations(worker, [job]);
      access.notify('active', job, 'waiting');
      return job;
    }
    if (!block || access.isClosing() || Date.now() >= deadline) break;
    if (reply.rateLimitTtl > 0) {
      await access.sleep(Math.min(reply.rateLimitTtl, deadline - Date.now()));
    } else {
      if (!(await access.connectBlocking())) break;
      await access.waitForJobs(deadline, reply.nextDelayed);
    }
    if (access.isClosing() || access.isPaused()) break;
  }
  access.notify('drained');
  return undefined;
}

/** `worker.extendJobLocks(jobIds, tokens, duration)`: resolves with the ids whose lock was not ours. */
export async function extendJobLocks(worker: QueueBase, jobIds: unknown, tokens: unknown, duration: unknown): Promise<string[]> {
  if (!Array.isArray(jobIds) || jobIds.some((id) => typeof id !== 'string' || id === '')) {
    throw new ConveyorValidationError(`jobIds must be an array of job ids (non-empty strings), got ${show(jobIds)}`);
  }
  if (!Array.isArray(tokens) || tokens.length !== jobIds.length) {
    throw new ConveyorValidationError(`tokens must be an array with one token per job id (${jobIds.length}), got ${show(tokens)}`);
  }
  tokens.forEach((token, i) => checkToken(`tokens[${i}]`, token));
  checkInteger('duration', duration, 1);
  if (jobIds.length === 0) return [];
  return extendLocks(await worker.client, worker.keys.base, worker.keys.stalled, jobIds, tokens as string[], duration as number);
}

/** cancelJob / cancelAllJobs arguments: a job id, and a reason that is a string when given. */
export function checkCancelArgs(jobId: unknown, reason: unknown): void {
  if (jobId !== undefined && (typeof jobId !== 'string' || jobId === '')) {
    throw new ConveyorValidationError(`jobId must be a non-empty string, got ${show(jobId)}`);
  }
  if (reason !== undefined && typeof reason !== 'string') {
    throw new ConveyorValidationError(`reason must be a string, got ${show(reason)}`);
  }
}
