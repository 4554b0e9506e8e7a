import { isRedisReply } from '../connection/connection.js';
import { ErrorCode, scriptError, type ConveyorScriptError } from '../core/errors.js';
import type { KeepJobs } from '../core/job-options.js';
import { runScript } from '../core/scripts.js';
import { appendFurtherJob, finishJobArgs, moveToFinishedArgs, type FinishJobArgs } from '../job/finish-args.js';
import type { Job } from '../job/job.js';
import type { WorkerContext } from './context.js';
import type { FetchReply, NextClaim } from './fetch-loop.js';
import type { Held } from './slots.js';

/** Jobs of one tick are finished in calls of at most concurrency / FINISH_GROUPS jobs (see send()). */
export const FINISH_GROUPS = 2;

/** And of at most this many: a script that finishes and fetches this many holds Redis for about a millisecond. */
export const FINISH_MAX_JOBS = 50;

/**
 * How a finish ended: 'finished'; a refusal that leaves the job ours (pending or failed children:
 * its caller fails it); undefined when the job is not ours any more or the call kept failing.
 */
export type FinishResult = 'finished' | ConveyorScriptError | undefined;

/** A finish waiting for the others of its tick: they all go to Redis in one moveToFinished call. */
interface PendingFinish {
  entry: Held;
  /** The job's part of the call. */
  args: FinishJobArgs;
  /** Runs as soon as the job is finished in Redis, before the jobs fetched with it start. */
  onFinished: (entry: Held, now: number) => void;
}

/**
 * The finishes of a tick that go in one call, and the one promise they all wait on (one per call
 * rather than one per job: each outcome is left on its entry, `entry.finished`).
 */
interface FinishCall {
  finishes: PendingFinish[];
  done: Promise<void>;
  resolve: () => void;
}

function finishCall(): FinishCall {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { finishes: [], done, resolve };
}

/** The fetch loop's side of a finish's fetch-next (FetchLoop has it). */
export interface FetchNext {
  /** Slots the call may fill, the free ones among them reserved until take() or release. */
  claimNext(finishing: number): NextClaim;
  /** The jobs of a moveToFinished reply (offset 1), locked with `token`. */
  parseFetch(raw: unknown[], offset: number, token: string): FetchReply;
  /** Starts the jobs and gives back the reservation. */
  take(reply: FetchReply, requested: number, reserved: number): void;
}

export interface FinishBatcherHost extends Pick<
  WorkerContext,
  'connection' | 'keys' | 'opts' | 'state' | 'slots' | 'reporter' | 'moves' | 'fetches'
> {
  readonly next: FetchNext;
  /** Waits before another try of a failed call, or says to give up (held-moves.ts). */
  retryPause(err: unknown, attempt: number, since: number): Promise<boolean>;
  /** Puts jobs fetched while closing back in front of the queue. */
  handBackAll(jobs: Job[]): Promise<void>;
}

/**
 * Finishes held jobs: moveToFinished with fetch-next, for the jobs that end in the same tick
 * together. Jobs one fetch brought start together and, when their processors take about as long,
 * end together: one call then stores all their outcomes and fetches as many jobs for their slots,
 * one round trip instead of one per job.
 *
 * The batching relies on these orderings:
 * - A tick is everything that runs before the microtask queue drains. finish() is called from a
 *   promise continuation (the processor's result awaited), and the first finish of a tick asks
 *   process.nextTick to send the lot; Node runs that callback only once the running microtasks,
 *   and those they queue, are done, so every job whose processor settled in the same cascade is
 *   in the batch.
 * - A reply is settled one microtask step after the script's promise resolves (`await null`), as
 *   many steps as the fetch loop takes from its moveToActive reply to take(): of two replies, the
 *   one that came first is taken first, and activeJobs stay in reply order.
 * - Settling goes job by job in batch order: the job is dropped from the slots and its
 *   `onFinished` runs ('completed' / 'failed' emitted) before the fetched jobs start ('active'
 *   follows the outcome that freed the slot). The finish() promises resolve after that, so the
 *   callers' own continuations run once the next jobs are under way.
 */
export class FinishBatcher {
  /** Finishes of the current tick, in calls, sent together once it ends. */
  private calls: FinishCall[] = [];
  private readonly sendAll = (): void => this.send();

  constructor(private readonly host: FinishBatcherHost) {}

  /**
   * Stores a held job's outcome (`target` with `value`, retention `keep`, the `stacktrace` JSON).
   * Resolves once the reply is handled and the fetched jobs started (or, while closing, were
   * handed back), with the outcome in `entry.finished`; `onFinished` runs before they start.
   */
  finish(
    entry: Held,
    target: 'completed' | 'failed',
    value: string,
    keep: KeepJobs | undefined,
    stacktrace: string,
    onFinished: (entry: Held, now: number) => void,
  ): Promise<void> {
    const args = finishJobArgs(entry.job, entry.token, target, value, keep, stacktrace, entry.nextAtm);
    entry.finished = undefined;
    // calls of at most a share of the slots: Redis runs one while this process starts the jobs
    // another brought, and those groups keep their size from one round to the next
    const size = Math.min(Math.ceil(this.host.opts.concurrency / FINISH_GROUPS), FINISH_MAX_JOBS);
    let call = this.calls[this.calls.length - 1];
    if (call === undefined || call.finishes.length >= size) {
      if (call === undefined) process.nextTick(this.sendAll);
      call = finishCall();
      this.calls.push(call);
    }
    call.finishes.push({ entry, args, onFinished });
    return call.done;
  }

  private send(): void {
    const calls = this.calls;
    this.calls = [];
    for (let i = 0; i < calls.length; i++) void this.finishBatch(calls[i]);
  }

  /**
   * One moveToFinished call for the batch; its finish() promise resolves at the end, whatever
   * happened. Connection errors are retried while the jobs are still ours; a script refusal (lock
   * lost, job gone) is reported per job and not retried. Then each job's outcome in order, and the
   * fetched jobs take over the freed slots: the loop hears of a free slot only if one is left once
   * they have (a finish that fills its own slot again must not wake it for nothing). While
   * closing, the fetched jobs are handed back instead.
   */
  private async finishBatch(call: FinishCall): Promise<void> {
    const { connection, keys, slots, reporter, next, fetches } = this.host;
    const batch = call.finishes;
    try {
      const jobKeys = batch.map((f) => f.entry.job.key);
      const since = Date.now();
      // a try that failed without a Redis reply may have run: the next one keeps its instant, by
      // which the script knows the jobs it finished then (moveToFinished.lua)
      let now = 0;
      for (let attempt = 1; ; attempt++) {
        const { requested, reserved } = next.claimNext(batch.length);
        if (now === 0) now = Date.now();
        const args = moveToFinishedArgs(keys.base, batch[0].args, now, requested, this.host.moves());
        for (let i = 1; i < batch.length; i++) appendFurtherJob(args, batch[i].args, batch[i - 1].args);
        let raw: unknown;
        // counted as a fetch when its fetch-next may take jobs (reclaim.ts)
        const fetch = requested > 0 ? fetches.begin() : undefined;
        try {
          raw = await runScript(connection.client, 'moveToFinished', jobKeys, args);
        } catch (err) {
          if (fetch !== undefined) fetches.end(fetch, err);
          if (isRedisReply(err)) now = 0;
          slots.release(reserved);
          reporter.reportRetried(err);
          // not cut short by close(): close() waits for work in hand to be stored
          if (!(await this.host.retryPause(err, attempt, since))) return reporter.reportGivingUp(err);
          continue;
        }
        if (fetch !== undefined) fetches.end(fetch);
        // one step later, as many as the loop takes for a fetch reply: a fetch answered before this
        // call is taken before these jobs are settled (activeJobs stay in reply order)
        await null;
        let handBack: Job[] | undefined;
        try {
          handBack = this.settleOutcomes(batch, raw, now, requested, reserved);
        } finally {
          if (slots.free() > 0) slots.changed.notify();
        }
        if (handBack) {
          await this.host.handBackAll(handBack);
          slots.release(reserved);
        }
        return;
      }
    } catch (err) {
      reporter.report(err);
    } finally {
      call.resolve();
    }
  }

  /** finishBatch's settling, up to the jobs fetched: those to hand back while closing, if any. */
  private settleOutcomes(batch: PendingFinish[], raw: unknown, now: number, requested: number, reserved: number): Job[] | undefined {
    const { state, slots, reporter, next } = this.host;
    // one job: 0 (then the fetch) or its error code; several: a list of codes first
    const head = typeof raw === 'number' ? raw : (raw as unknown[])[0];
    const codes = Array.isArray(head) ? (head as number[]) : undefined;
    let finished = 0;
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i];
      const code = Number(codes ? codes[i] : head);
      if (code === 0) {
        finished += 1;
        slots.drop(f.entry, false);
        f.entry.finished = 'finished';
        f.onFinished(f.entry, now);
        continue;
      }
      // refused before the lock was released: the job is still ours (its caller fails it)
      const refused = code === ErrorCode.JobPendingChildren || code === ErrorCode.JobHasFailedChildren;
      // named after the script, as BullMQ names it (its tests match 'Cmd moveToFinished from active')
      const err = scriptError(code, f.entry.job.id, 'moveToFinished');
      reporter.report(err);
      if (refused) {
        f.entry.finished = err;
      } else {
        slots.drop(f.entry, false);
      }
    }
    if (finished === 0) {
      slots.release(reserved);
      return undefined;
    }
    let reply: FetchReply;
    try {
      reply = next.parseFetch(raw as unknown[], 1, batch[0].entry.token);
    } catch (err) {
      slots.release(reserved);
      throw err;
    }
    if (state.closing) return reply.jobs;
    // the script fetched nothing for the slots of jobs it could not finish
    next.take(reply, Math.max(requested - (batch.length - finished), 0), reserved);
    return undefined;
  }
}
