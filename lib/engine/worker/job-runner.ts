import { ConveyorScriptError, ErrorCode, RateLimitError, UnrecoverableError } from '../core/errors.js';
import { describeFailure } from '../core/failure.js';
import { planFailure, retryCall } from '../job/failure-plan.js';
import { encodeReturnValue, nextAttemptsMade } from '../job/finish-args.js';
import type { Job } from '../job/job.js';
import type { WorkerContext } from './context.js';
import type { FinishBatcher } from './finish-batcher.js';
import type { HeldJobMoves } from './held-moves.js';
import { isMoveSignal, isStillHeld, notMovedError } from './processor-signals.js';
import { heldEntry, type Held } from './slots.js';
import type { WorkerTracing } from './tracing.js';

export interface JobRunnerHost extends Pick<WorkerContext, 'connection' | 'keys' | 'opts' | 'slots' | 'reporter' | 'moves'> {
  /** Runs the worker's processor (with the worker as `this`, as a method call would). */
  process(job: Job, token: string, signal: AbortSignal | undefined): unknown;
  /** The processor can see its signal (processor-arity.ts); when false it is given none. Default true. */
  readonly takesSignal?: boolean;
  readonly tracing: WorkerTracing | undefined;
  /** Creates a taken scheduler iteration's successor; false: it could not be, leave the job. */
  scheduleNext(job: Job): Promise<boolean>;
  readonly batcher: Pick<FinishBatcher, 'finish'>;
  readonly heldMoves: Pick<HeldJobMoves, 'move' | 'moveLimitedBackToWait'>;
  /** The queue is rate-limited for `ms` more (0: it is not): the loop fetches nothing until then. */
  rateLimited(ms: number): void;
}

/**
 * Runs the jobs the worker took: each is held, goes through the processor (or fails without it:
 * failed while waiting, or started too often), and its outcome is stored: completed or failed
 * through the finish batcher, retried or delayed, handed back after a RateLimitError, left alone
 * when the processor moved it itself.
 */
export class JobRunner {
  /** processHeld, inside a span when the worker has telemetry (the slot is given back by the caller). */
  private readonly processEntry: (entry: Held) => Promise<void>;
  /** scheduleNext, with telemetry in the worker's own context: bullmq's span for it is no child of any job's. */
  private readonly nextIteration: (job: Job) => Promise<boolean>;
  private readonly takesSignal: boolean;
  /** A completion stored: the job's fields as Redis has them now, and 'completed'. */
  private readonly completed = (entry: Held, now: number): void => {
    const { job } = entry;
    job.returnvalue = entry.result;
    job.finishedOn = now;
    job.attemptsMade += 1;
    this.host.reporter.notify('completed', job, entry.result, 'active');
  };

  constructor(private readonly host: JobRunnerHost) {
    const { tracing } = host;
    this.takesSignal = host.takesSignal !== false;
    this.processEntry = tracing
      ? (entry) => tracing.process(entry.job, () => this.processHeld(entry, false))
      : (entry) => this.processHeld(entry, false);
    this.nextIteration = tracing
      ? (job) => tracing.tracing.within(tracing.base, () => host.scheduleNext(job))
      : (job) => host.scheduleNext(job);
  }

  /** Holds a job just taken and starts processing it; its chain settles once the outcome is stored. */
  start(job: Job): void {
    const { slots } = this.host;
    const entry = heldEntry(job, nextAttemptsMade(job));
    slots.hold(entry);
    slots.track(entry);
    // the usual job takes one async function from here to its slot given back: every promise,
    // closure and reaction less counts on this path
    if (!this.host.tracing && !job.repeatJobKey) {
      entry.done = this.processHeld(entry, true);
      return;
    }
    entry.done = (job.repeatJobKey ? this.iterateThenProcess(entry) : this.processEntry(entry)).then(
      () => this.settle(entry),
      (err: unknown) => {
        try {
          this.host.reporter.emitError(err);
        } finally {
          this.settle(entry);
        }
      },
    );
  }

  /** The job's processing is over: its slot is free, and close() no longer waits for it. */
  private settle(entry: Held): void {
    const { slots } = this.host;
    slots.untrack(entry);
    slots.drop(entry);
  }

  /**
   * Job schedulers: taking an iteration creates the next one, before the job is processed (§7.12).
   * A scheduler that cannot be updated leaves the job active: the stalled checker retries it.
   */
  private async iterateThenProcess(entry: Held): Promise<void> {
    if (await this.nextIteration(entry.job)) await this.processEntry(entry);
  }

  /**
   * Runs the processor and stores the outcome. With `settles` it also gives the slot back and
   * reports its own errors (the usual job: no reaction of start()'s needed); else its caller does.
   */
  private async processHeld(entry: Held, settles: boolean): Promise<void> {
    // kept small: an async function's locals live in a frame allocated for each job; the steps
    // around the two waits are plain methods
    try {
      const refused = this.refusal(entry);
      if (refused !== undefined) {
        await refused;
        return;
      }
      let result: unknown;
      try {
        result = await this.host.process(entry.job, entry.token, this.takesSignal ? entry.controller.signal : undefined);
      } catch (thrown) {
        if (entry.abandoned) return;
        entry.phase = 'finishing';
        await this.fail(entry, thrown, true);
        return;
      }
      await this.complete(entry, result);
      if (entry.finished instanceof ConveyorScriptError) await this.completionRefused(entry, entry.finished);
      else this.host.slots.drop(entry);
    } catch (err) {
      if (!settles) throw err;
      this.host.reporter.emitError(err);
    } finally {
      if (settles) this.settle(entry);
    }
  }

  /**
   * Before the processor: a job let go of by a forced close is left alone (a resolved promise); one
   * that failed while waiting (stalled too often, a child failed) or was started too often fails
   * without running (its failure's promise). Otherwise 'active', and undefined: run it.
   */
  private refusal(entry: Held): Promise<void> | undefined {
    const { job } = entry;
    const { maxStartedAttempts } = this.host.opts;
    if (entry.abandoned) return Promise.resolve();
    let reason: string | undefined;
    if (job.deferredFailure) reason = job.deferredFailure;
    else if (maxStartedAttempts !== undefined && job.attemptsStarted > maxStartedAttempts) reason = 'job started more than allowable limit';
    if (reason === undefined) {
      this.host.reporter.notify('active', job, 'waiting');
      return undefined;
    }
    entry.phase = 'finishing';
    return this.fail(entry, new UnrecoverableError(reason), false);
  }

  /**
   * The processor returned: the completion goes to the batcher (entry.finished says how it went),
   * or a return value that cannot be stored fails the attempt. Nothing for a job let go of.
   */
  private complete(entry: Held, result: unknown): Promise<void> | undefined {
    if (entry.abandoned) return undefined;
    entry.phase = 'finishing';
    const { job } = entry;
    let returnvalue: string;
    try {
      returnvalue = encodeReturnValue(job, result);
    } catch (err) {
      return this.fail(entry, err, false);
    }
    entry.result = result;
    return this.host.batcher.finish(
      entry,
      'completed',
      returnvalue,
      job.opts.removeOnComplete ?? this.host.opts.removeOnComplete,
      '',
      this.completed,
    );
  }

  /**
   * A parent with pending or failed children cannot complete; it is still ours, so it fails as if
   * the processor had thrown (as in BullMQ: a failed child allows no retry).
   */
  private completionRefused(entry: Held, refusal: ConveyorScriptError): Promise<void> {
    const thrown = refusal.code === ErrorCode.JobHasFailedChildren ? new UnrecoverableError(refusal.message) : refusal;
    return this.fail(entry, thrown, true);
  }

  private async fail(entry: Held, thrown: unknown, withStack: boolean): Promise<void> {
    const { connection, keys, opts, slots, reporter, batcher, heldMoves } = this.host;
    const { job } = entry;
    if (isMoveSignal(thrown)) {
      // the processor moved the job itself (job.moveToDelayed & co.): nothing left to do. One that
      // did not move it fails the attempt rather than leave the job locked in active.
      const held = await isStillHeld(connection.client, job, entry.token).catch((err: unknown) => {
        reporter.emitError(err);
        return false;
      });
      if (held) return this.fail(entry, notMovedError(thrown, job), false);
      slots.drop(entry);
      return;
    }
    if (thrown instanceof RateLimitError) {
      // back in front of the queue without using an attempt; this worker then waits the limit out
      this.host.rateLimited(await heldMoves.moveLimitedBackToWait(entry));
      slots.drop(entry);
      return;
    }
    // a processor that replaced its job's moveToFailed: the failure goes through it, as in BullMQ
    if (Object.hasOwn(job, 'moveToFailed')) return this.failThroughJob(entry, thrown);
    const plan = await planFailure(job, thrown, withStack, this.host.moves());
    if (plan.kind !== 'fail') {
      const moved = await heldMoves.move(entry, retryCall(keys.base, job, entry.token, plan, Date.now()));
      slots.drop(entry);
      if (!moved) return;
      job.attemptsMade += 1;
      // as bullmq sets it: the backoff of a delayed retry, 0 for one at once
      job.delay = plan.kind === 'delay' ? plan.delay : 0;
      job.failedReason = plan.reason;
      job.stacktrace = plan.stacktrace;
      reporter.notify('failed', job, plan.error, 'active');
      return;
    }
    const keep = job.opts.removeOnFail ?? opts.removeOnFail;
    await batcher.finish(entry, 'failed', plan.reason, keep, JSON.stringify(plan.stacktrace), (_, now) => {
      job.failedReason = plan.reason;
      job.stacktrace = plan.stacktrace;
      job.finishedOn = now;
      job.attemptsMade += 1;
      reporter.notify('failed', job, plan.error, 'active');
    });
    slots.drop(entry);
  }

  /** A failure stored by `job.moveToFailed` itself: 'failed' when it went through, else 'error'. */
  private async failThroughJob(entry: Held, thrown: unknown): Promise<void> {
    const { slots, reporter } = this.host;
    const { job } = entry;
    try {
      await job.moveToFailed(thrown as Error, entry.token, false);
    } catch (err) {
      slots.drop(entry);
      reporter.emitError(err);
      return;
    }
    slots.drop(entry);
    reporter.notify('failed', job, describeFailure(thrown).error, 'active');
  }
}
