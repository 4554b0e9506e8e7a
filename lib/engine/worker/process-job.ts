import { DelayedError, RateLimitError, UnrecoverableError, WaitingChildrenError, WaitingError } from '../core/errors.js';
import { describeFailure } from '../core/failure.js';
import type { NextJobReply } from '../job/fetch-reply.js';
import type { JobHost } from '../job/host.js';
import { Job } from '../job/job.js';
import type { WorkerTracing } from './tracing.js';

/** What processJob needs from its Worker. */
export interface HandProcessing {
  readonly host: JobHost & { readonly name: string };
  readonly processor: ((job: Job, token?: string, signal?: AbortSignal) => unknown) | undefined;
  readonly maxStartedAttempts: number | undefined;
  readonly tracing: WorkerTracing | undefined;
  notify(event: string, ...args: unknown[]): void;
  emitError(err: unknown): void;
  /** Closing or paused: a finish then fetches no next job, whatever the callback says. */
  isStopping(): boolean;
  /** The queue is rate-limited for `ms` more (the worker's loop waits that long). */
  rateLimited(ms: number): void;
}

/**
 * `worker.processJob(job, token, fetchNextCallback?)`, bullmq's public step of its worker loop, for
 * a job taken by hand (getNextJob): runs the processor, then finishes the job through its own
 * `moveToCompleted` / `moveToFailed` (stubbed, spied on and traced as with bullmq), emits
 * `completed` / `failed`, and resolves with the next job when `fetchNextCallback()` asked the
 * finish for one and it brought one. Like a job taken by hand, its lock is not renewed meanwhile.
 *
 * The worker's own loop does not come here: it finishes the jobs of a tick together (finish-batcher.ts).
 */
export async function processJobByHand(
  p: HandProcessing,
  job: Job,
  token: string,
  fetchNextCallback: () => boolean = () => true,
): Promise<Job | void> {
  if (typeof p.processor !== 'function') throw new Error('No process function is defined.');
  const run = () => processAndFinish(p, job, token, fetchNextCallback);
  return p.tracing ? p.tracing.processByHand(job, run) : run();
}

async function processAndFinish(p: HandProcessing, job: Job, token: string, fetchNextCallback: () => boolean): Promise<Job | void> {
  // as bullmq's: the callback is asked, but a closing or paused worker fetches nothing
  const fetchNext = () => fetchNextCallback() && !p.isStopping();
  // no 'active' here: bullmq emits it when a job is taken (getNextJob, or the fetch of a finish)
  const refusal = job.deferredFailure
    ? job.deferredFailure
    : p.maxStartedAttempts !== undefined && job.attemptsStarted > p.maxStartedAttempts
      ? 'job started more than allowable limit'
      : undefined;
  let result: unknown;
  try {
    if (refusal !== undefined) throw new UnrecoverableError(refusal);
    // with the worker as `this`, as the worker's own loop and bullmq's processJob call it
    result = await p.processor!.call(p.host, job, token, new AbortController().signal);
  } catch (thrown) {
    return failed(p, job, token, thrown, fetchNext);
  }
  let reply: NextJobReply | undefined;
  try {
    reply = await job.moveToCompleted(result, token, fetchNext());
  } catch (err) {
    // as bullmq's: the error is reported, then the attempt fails with it (a lost lock fails there too)
    p.emitError(err);
    return failed(p, job, token, err, fetchNext);
  }
  p.notify('completed', job, result, 'active');
  return nextJob(p, reply, token);
}

async function failed(p: HandProcessing, job: Job, token: string, thrown: unknown, fetchNext: () => boolean): Promise<Job | void> {
  // the processor moved the job itself
  if (thrown instanceof DelayedError || thrown instanceof WaitingError || thrown instanceof WaitingChildrenError) return;
  let reply: NextJobReply | void;
  try {
    if (thrown instanceof RateLimitError) {
      // back in front of the queue, no attempt used
      p.rateLimited(await job.moveToWait(token));
      return;
    }
    // the thrown value as it is: moveToFailed describes it (and keeps no engine stack for a non-Error)
    reply = await job.moveToFailed(thrown as Error, token, fetchNext());
  } catch (err) {
    // as bullmq's: nothing stored (e.g. the lock was lost); the job stalls or another worker has it
    p.emitError(err);
    return;
  }
  const { error } = describeFailure(thrown);
  p.notify('failed', job, error, 'active');
  return nextJob(p, reply, token);
}

/** The job a finish fetched (locked with the same token), if any: taken, so 'active'. */
function nextJob(p: HandProcessing, reply: NextJobReply | void, token: string): Job | undefined {
  const [data, id] = reply ?? [];
  if (!data || !id) return undefined;
  const next = Job.fromJSON(p.host, data, String(id));
  next.token = token;
  p.notify('active', next, 'waiting');
  return next;
}
