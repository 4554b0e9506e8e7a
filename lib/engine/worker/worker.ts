import { randomUUID } from 'node:crypto';
import { duplicateConnection, isRedisRefusal, retryDelayAfter, whenReady, type RedisClient } from '../connection.js';
import { describeFailure } from '../failure.js';
import { ConveyorScriptError, ErrorCode, RateLimitError, scriptError, UnrecoverableError } from '../errors.js';
import { Job } from '../job.js';
import {
  encodeReturnValue,
  finishJobArgs,
  isMoveSignal,
  isStillHeld,
  moveSettingsOf,
  moveToActiveArgs,
  moveToFinishedArgs,
  nextAttemptsMade,
  notMovedError,
  parseFetchReply,
  planFailure,
  retryCall,
  type MoveSettings,
} from '../job-moves.js';
import { jobSchedulerOf, type JobScheduler } from '../job-scheduler.js';
import { scheduleNextIteration } from '../job-scheduler-iteration.js';
import { show, type KeepJobs } from '../options.js';
import { checkBooleanArg, checkOptionsObject } from '../queue-admin.js';
import { QueueBase } from '../queue-base.js';
import { setRateLimit } from '../queue-controls.js';
import { isProcessorFile, Sandbox } from '../sandbox/sandbox.js';
import type { ConnectionOptions } from '../connection.js';
import type { JobProgress } from '../interfaces/job.js';
import type { WorkerListener } from '../interfaces/listeners.js';
import type { RedisQueueBackend } from '../interfaces/queue-options.js';
import { runScript } from '../scripts.js';
import { WorkerTracing } from '../telemetry-worker.js';
import { processJobByHand, type HandProcessing } from './process-job.js';
import { retryDelayMs, sleep } from '../timing.js';
import { BlockingConnection, blockingClientName } from './blocking-connection.js';
import { WorkerState, type WorkerContext } from './context.js';
import { FetchLoop, type FetchReply } from './fetch-loop.js';
import { FinishBatcher } from './finish-batcher.js';
import { HeldJobMoves } from './held-moves.js';
import { LockKeeper } from './lock-keeper.js';
import { WorkerReporter } from './reporter.js';
import { heldEntry, Slots, type Held } from './slots.js';
import { StalledChecker } from './stalled-checker.js';
import { checkCancelArgs, extendJobLocks, takeNextJob, type GetNextJobOptions, type ManualAccess } from './manual.js';
import { checkConcurrency, resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './options.js';

export { WORKER_DEFAULTS } from './options.js';
export type { WorkerOptions } from './options.js';
export type { GetNextJobOptions } from './manual.js';

/** The options of `worker.close(force, opts)` (Conveyor's own). */
export interface WorkerCloseOptions {
  /**
   * With `force`: abort the signals of the jobs in hand and move them back to wait at once, no
   * attempt used, instead of leaving them in active for the stalled checker (BullMQ's close(true)).
   * @default false
   */
  requeue?: boolean;
}

/**
 * The function a worker runs for each job. `ProgressType` is bullmq 6.7's fourth parameter, the
 * type of `job.updateProgress`'s value.
 */
export type Processor<DataType = any, ResultType = any, NameType extends string = string, ProgressType extends JobProgress = JobProgress> = (
  job: Job<DataType, ResultType, NameType, ProgressType>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ResultType> | ResultType;

type Outcome = { ok: true; value: unknown } | { ok: false; thrown: unknown; withStack: boolean };

/**
 * `B` (the backend) and `ConnectionOptionsType` are bullmq 6.7's type parameters for its other
 * backends; Conveyor runs on Redis only and takes them so that bullmq's generic forms compile.
 */
export class Worker<
  DataType = any,
  ResultType = any,
  NameType extends string = string,
  B = RedisQueueBackend,
  ProgressType extends JobProgress = JobProgress,
  ConnectionOptionsType = ConnectionOptions,
> extends QueueBase {
  readonly opts: ResolvedWorkerOptions;
  readonly id = randomUUID();
  private readonly processor: Processor<DataType, ResultType, NameType> | undefined;
  /** The child processes (or threads) of a processor given as a file. */
  private readonly sandbox: Sandbox | undefined;
  /** The worker's telemetry, when it has a `telemetry` option. */
  private readonly tracing: WorkerTracing | undefined;
  /** processHeld, inside a span when the worker has telemetry (chosen once: no tracing code otherwise). */
  private readonly processEntry: (entry: Held) => Promise<void>;
  /**
   * Creates a taken scheduler iteration's successor (false: it could not be, leave the job). With
   * telemetry, in the worker's own context: bullmq's span for it is no child of any job's.
   */
  private readonly nextIteration: (job: Job) => Promise<boolean>;
  private readonly state = new WorkerState(this);
  private readonly slots = new Slots(() => this.opts.concurrency);
  private readonly reporter = new WorkerReporter(this, (err) => this.emitError(err));
  /** What the parts below share (see context.ts). */
  private readonly context: WorkerContext;
  private readonly blockingConnection: BlockingConnection;
  private readonly locks: LockKeeper;
  private readonly heldMoves: HeldJobMoves;
  private readonly stalled: StalledChecker;
  private readonly fetchLoop: FetchLoop;
  private readonly batcher: FinishBatcher;
  /** Aborted by close(): ends the loop's waits (delay()) at once. */
  private readonly wakeOnClose = new AbortController();
  /** run() was called: resume() starts the loop again after a pause ended it. */
  private started = false;
  /** The fetch loop, until it ends (pause, close) and its jobs are finished. */
  private loopRun: Promise<void> | undefined;
  /** The loop's start-up (timers, 'ready') happened. */
  private loopStarted = false;
  private connectionClosed = false;
  private forcing: Promise<void> | undefined;
  private moveSettings: MoveSettings | undefined;
  private manual: ManualAccess | undefined;
  private readyEmitted = false;

  constructor(name: string, processor?: string | URL | Processor<DataType, ResultType, NameType> | null, opts: WorkerOptions = {}) {
    const resolved = resolveWorkerOptions(opts);
    // a file path or URL: the processor runs in child processes or worker threads (sandbox/)
    const sandbox = isProcessorFile(processor) ? new Sandbox(processor, resolved) : undefined;
    if (!sandbox && processor !== undefined && processor !== null && typeof processor !== 'function') {
      throw new TypeError(`processor must be a function, a file path or a file: URL, got ${show(processor)}`);
    }
    super(name, opts);
    this.opts = resolved;
    this.context = {
      connection: this.connection,
      keys: this.keys,
      opts: resolved,
      state: this.state,
      slots: this.slots,
      reporter: this.reporter,
      moves: () => this.moves,
      delay: (ms, abort) => this.delay(ms, abort),
    };
    this.blockingConnection = new BlockingConnection({
      ...this.context,
      commandClient: () => this.client,
      clientName: () => blockingClientName(this.prefix, this.name, this.opts.name),
      sleep: (ms) => this.delay(ms, this.wakeOnClose),
    });
    this.heldMoves = new HeldJobMoves(this.context);
    this.fetchLoop = new FetchLoop({
      ...this.context,
      jobHost: this,
      workerId: this.id,
      blocking: this.blockingConnection,
      sleep: (ms) => this.delay(ms, this.wakeOnClose),
      started: () => {
        if (!this.loopStarted) {
          this.loopStarted = true;
          this.startTimers();
        }
        this.emitReady();
      },
      start: (job) => this.start(job),
      handBackAll: (jobs) => this.heldMoves.handBackAll(jobs),
    });
    this.batcher = new FinishBatcher({
      ...this.context,
      next: this.fetchLoop,
      retryPause: (err, attempt, since) => this.heldMoves.retryPause(err, attempt, since),
      handBackAll: (jobs) => this.heldMoves.handBackAll(jobs),
    });
    this.locks = new LockKeeper({ ...this.context, renewLocks: () => this.renewLocks() });
    this.stalled = new StalledChecker({
      ...this.context,
      checkStalled: () => this.checkStalled(),
      moveStalledJobsToWait: () => this.moveStalledJobsToWait(),
    });
    this.sandbox = sandbox;
    if (sandbox) sandbox.onError = (err) => this.emitError(err);
    this.processor = (sandbox ? sandbox.process : (processor ?? undefined)) as Processor<DataType, ResultType, NameType> | undefined;
    const tracing = resolved.telemetry && new WorkerTracing(resolved.telemetry, this, (err) => this.emitError(err));
    this.tracing = tracing || undefined;
    this.processEntry = tracing ? (entry) => tracing.process(entry.job, () => this.processHeld(entry)) : (entry) => this.processHeld(entry);
    const nextIteration = (job: Job) => scheduleNextIteration(this, job, (err) => this.emitError(err));
    this.nextIteration = tracing ? (job) => tracing.tracing.within(tracing.base, () => nextIteration(job)) : nextIteration;
    if (this.processor && opts.autorun !== false) {
      this.run().catch((err) => this.emitError(err));
    } else {
      // as BullMQ's: a worker that does not run yet is connected and listed (getWorkers) all the same
      void this.blockingConnection.up().then((up) => up && this.emitReady());
    }
  }

  /** What a processor throws after `rateLimit()`: its job goes back to wait, no attempt used. */
  static RateLimitError(): RateLimitError {
    return new RateLimitError();
  }

  /**
   * Rate-limits the whole queue for `expireTimeMs` ms (workers with a limiter, or under a global
   * rate limit, start nothing until then). Throw `Worker.RateLimitError()` afterwards to hand the
   * job in hand back.
   */
  async rateLimit(expireTimeMs: number): Promise<void> {
    return setRateLimit(this, expireTimeMs);
  }

  /**
   * Waits `milliseconds` (at once when `abortController` aborts). Every timed wait of the worker
   * goes through here (rate limits, backoff after Redis errors), so a test can stub it on the
   * instance, as BullMQ's own tests do under a fake clock; the loop then keeps asking Redis.
   */
  delay(milliseconds = 0, abortController?: AbortController): Promise<void> {
    return sleep(milliseconds, abortController?.signal);
  }

  get concurrency(): number {
    return this.opts.concurrency;
  }

  set concurrency(value: number) {
    checkConcurrency(value);
    this.opts.concurrency = value;
    this.slots.changed.notify();
  }

  /**
   * The command connection. Unlike a closed Queue's, it stays usable while close() waits for the
   * jobs in hand, so their processors can still report progress and logs.
   */
  override get client(): Promise<RedisClient> {
    if (this.connectionClosed) return Promise.reject(new Error(`Worker "${this.name}" is closed`));
    const client = this.connection.client;
    return client.status === 'ready' ? Promise.resolve(client) : whenReady(client).then(() => client);
  }

  /** The JobScheduler this worker creates scheduler iterations with (BullMQ's `worker.jobScheduler`). */
  get jobScheduler(): Promise<JobScheduler> {
    return jobSchedulerOf(this);
  }

  /** As in BullMQ: false once closing, or paused with no job in hand (pause(true) counts them). */
  isRunning(): boolean {
    return this.loopRun !== undefined && !this.closing && !(this.state.paused && this.slots.processingCount === 0);
  }

  isPaused(): boolean {
    return this.state.paused;
  }

  /** Jobs this worker holds right now. */
  get activeJobs(): Job[] {
    return this.slots.jobs();
  }

  /**
   * Starts processing; resolves once the loop has stopped (pause() or close()) and its jobs are
   * finished, as BullMQ's does; resume() starts the loop again. As in BullMQ (same texts), it
   * throws without a processor or when already running, and a closed worker's run() resolves.
   */
  async run(): Promise<void> {
    if (!this.processor) throw new Error('No process function is defined.');
    if (this.closing) return;
    if (this.isRunning()) throw new Error('Worker is already running.');
    this.started = true;
    return this.startLoop();
  }

  /** The loop, started unless it still runs (a resume() soon after a pause() finds it so). */
  private startLoop(): Promise<void> {
    this.loopRun ??= this.fetchLoop.run()
      .then(() => this.slots.whenIdle())
      .finally(() => {
        this.loopRun = undefined;
        // a resume() that came while this loop was ending
        if (this.started && !this.state.paused && !this.closing) this.startLoop().catch((err) => this.emitError(err));
      });
    return this.loopRun;
  }

  /**
   * Stops fetching new jobs; unless `doNotWaitActive`, waits for the jobs in hand. The loop ends
   * (run() resolves), as in BullMQ; resume() starts it again.
   */
  async pause(doNotWaitActive = false): Promise<void> {
    if (this.state.paused) return;
    this.state.paused = true;
    this.slots.changed.notify();
    if (!doNotWaitActive) await this.slots.whenIdle();
    this.reporter.notify('paused');
  }

  async resume(): Promise<void> {
    if (!this.state.paused) return;
    this.state.paused = false;
    if (this.started && !this.closing) this.startLoop().catch((err) => this.emitError(err));
    this.slots.changed.notify();
    this.reporter.notify('resumed');
  }

  // ------------------------------------------------------------------------------ cancellation

  /**
   * Aborts the signal of a job this worker is processing, with `reason` as the signal's reason
   * (without one, the standard AbortError). The job's fate is its processor's, as in BullMQ: what
   * it throws fails the attempt (retries apply), what it returns completes the job. False when the
   * worker does not hold the job.
   */
  cancelJob(jobId: string, reason?: string): boolean {
    checkCancelArgs(jobId, reason);
    const entry = this.slots.get(jobId);
    if (!entry || entry.abandoned) return false;
    entry.controller.abort(reason);
    return true;
  }

  /** cancelJob for every job this worker is processing. */
  cancelAllJobs(reason?: string): void {
    checkCancelArgs(undefined, reason);
    for (const entry of this.slots.entries()) if (!entry.abandoned) entry.controller.abort(reason);
  }

  // ------------------------------------------------------------------------------ by hand

  /**
   * Manual processing (a worker without processor, `autorun: false`): takes the next job into
   * active, locked with `token` for lockDuration. With `block` (the default) it waits, at most
   * drainDelay, for a job to become ready. Finish the job with job.moveToCompleted/moveToFailed
   * and keep its lock with job.extendLock; nothing is renewed for it.
   */
  async getNextJob(token: string, opts?: GetNextJobOptions): Promise<Job<DataType, ResultType, NameType> | undefined> {
    return (await takeNextJob(this.manualAccess(), token, opts)) as Job<DataType, ResultType, NameType> | undefined;
  }

  /**
   * bullmq's processJob, for a job taken by hand: runs the processor, finishes the job with its
   * moveToCompleted/moveToFailed and resolves with the next job the finish fetched, if
   * `fetchNextCallback()` asked for one (process-job.ts).
   */
  async processJob(job: Job<DataType, ResultType, NameType>, token: string, fetchNextCallback?: () => boolean): Promise<void | Job<DataType, ResultType, NameType>> {
    const p: HandProcessing = {
      host: this,
      processor: this.processor as HandProcessing['processor'],
      maxStartedAttempts: this.opts.maxStartedAttempts,
      tracing: this.tracing,
      notify: (event, ...args) => this.reporter.notify(event, ...args),
      emitError: (err) => this.emitError(err),
      isStopping: () => this.closing !== undefined || this.state.paused,
      rateLimited: (ms) => this.fetchLoop.limitFor(ms),
    };
    return (await processJobByHand(p, job, token, fetchNextCallback)) as Job<DataType, ResultType, NameType> | undefined;
  }

  /** Renews the locks of jobs processed by hand; resolves with the ids whose lock was not held by its token. */
  async extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    return extendJobLocks(this, jobIds, tokens, duration);
  }

  private manualAccess(): ManualAccess {
    return (this.manual ??= {
      worker: this,
      isClosing: () => this.closing !== undefined,
      isPaused: () => this.state.paused,
      isRunning: () => this.started,
      fetch: (token) => this.fetchLoop.fetch(1, token),
      connectBlocking: () => this.blockingConnection.ensure(),
      waitForJobs: (deadline, nextDelayed) => this.fetchLoop.waitForJobs(deadline, nextDelayed),
      sleep: (ms) => this.delay(ms, this.wakeOnClose),
      notify: (event, ...args) => this.reporter.notify(event, ...args),
    });
  }

  // ------------------------------------------------------------------------------ the fetch loop

  /** The blocking connection's client, once made (a test looks at it). */
  private get blocking(): RedisClient | undefined {
    return this.blockingConnection.client;
  }

  /** 'ready' once per worker: when it is connected, whether or not it runs yet. */
  private emitReady(): void {
    if (this.readyEmitted || this.closing) return;
    this.readyEmitted = true;
    this.reporter.notify('ready');
  }

  /** Resolves once both connections are ready, so the worker is listed by getWorkers by then. */
  override async waitUntilReady(): Promise<RedisClient> {
    const client = await this.client;
    await this.blockingConnection.up();
    return client;
  }

  /** Lock duration, limiter, name, retention and retry settings, as the move scripts take them. */
  private get moves(): MoveSettings {
    return (this.moveSettings ??= moveSettingsOf(this));
  }

  // ------------------------------------------------------------------------------ processing

  private start(job: Job): void {
    const entry = heldEntry(job, nextAttemptsMade(job));
    this.slots.hold(entry);
    const settle = (): void => {
      this.slots.untrack(done);
      this.slots.drop(entry);
      this.slots.changed.notify();
    };
    // one reaction for both outcomes (a job is on the hot path: every promise counts)
    const done: Promise<void> = (job.repeatJobKey ? this.iterateThenProcess(entry) : this.processEntry(entry)).then(settle, (err: unknown) => {
      try {
        this.emitError(err);
      } finally {
        settle();
      }
    });
    this.slots.track(entry, done);
  }

  /**
   * Job schedulers: taking an iteration creates the next one, before the job is processed (§7.12).
   * A scheduler that cannot be updated leaves the job active: the stalled checker retries it.
   */
  private async iterateThenProcess(entry: Held): Promise<void> {
    if (await this.nextIteration(entry.job)) await this.processEntry(entry);
  }

  private async processHeld(entry: Held): Promise<void> {
    const { job } = entry;
    // a forced close may have let go of the job meanwhile
    if (entry.abandoned) return;
    let outcome: Outcome;
    if (job.deferredFailure) {
      // failed while waiting (stalled too often, or a child failed): fail it without running it
      outcome = { ok: false, thrown: new UnrecoverableError(job.deferredFailure), withStack: false };
    } else if (this.opts.maxStartedAttempts !== undefined && job.attemptsStarted > this.opts.maxStartedAttempts) {
      outcome = { ok: false, thrown: new UnrecoverableError('job started more than allowable limit'), withStack: false };
    } else {
      this.reporter.notify('active', job, 'waiting');
      try {
        const value = await this.processor!(job as Job<DataType, ResultType, NameType>, entry.token, entry.controller.signal);
        outcome = { ok: true, value };
      } catch (thrown) {
        outcome = { ok: false, thrown, withStack: true };
      }
    }
    if (entry.abandoned) return;
    entry.phase = 'finishing';
    if (outcome.ok) await this.complete(entry, outcome.value);
    else await this.fail(entry, outcome.thrown, outcome.withStack);
  }

  private async complete(entry: Held, result: unknown): Promise<void> {
    const { job } = entry;
    let returnvalue: string;
    try {
      returnvalue = encodeReturnValue(job, result);
    } catch (err) {
      return this.fail(entry, err, false);
    }
    const keep = job.opts.removeOnComplete ?? this.opts.removeOnComplete;
    const finished = await this.batcher.finish(entry, 'completed', returnvalue, keep, '', (now) => {
      job.returnvalue = result;
      job.finishedOn = now;
      job.attemptsMade += 1;
      this.reporter.notify('completed', job, result, 'active');
    });
    if (finished instanceof ConveyorScriptError) {
      // a parent with pending or failed children cannot complete; it is still ours, so it fails
      // as if the processor had thrown (as in BullMQ: a failed child allows no retry)
      const thrown = finished.code === ErrorCode.JobHasFailedChildren ? new UnrecoverableError(finished.message) : finished;
      return this.fail(entry, thrown, true);
    }
    this.slots.drop(entry);
  }

  private async fail(entry: Held, thrown: unknown, withStack: boolean): Promise<void> {
    const { job } = entry;
    if (isMoveSignal(thrown)) {
      // the processor moved the job itself (job.moveToDelayed & co.): nothing left to do. One that
      // did not move it fails the attempt rather than leave the job locked in active.
      const held = await isStillHeld(this.connection.client, job, entry.token).catch((err: unknown) => {
        this.emitError(err);
        return false;
      });
      if (held) return this.fail(entry, notMovedError(thrown, job), false);
      this.slots.drop(entry);
      return;
    }
    if (thrown instanceof RateLimitError) {
      // back in front of the queue without using an attempt; this worker then waits the limit out
      const limitMs = await this.heldMoves.moveLimitedBackToWait(entry);
      this.fetchLoop.limitFor(limitMs);
      this.slots.drop(entry);
      return;
    }
    // a processor that replaced its job's moveToFailed: the failure goes through it, as in BullMQ
    if (Object.hasOwn(job, 'moveToFailed')) return this.failThroughJob(entry, thrown);
    const plan = await planFailure(job, thrown, withStack, this.moves);
    if (plan.kind !== 'fail') {
      const moved = await this.heldMoves.move(entry, retryCall(this.keys.base, job, entry.token, plan, Date.now()));
      this.slots.drop(entry);
      if (!moved) return;
      job.attemptsMade += 1;
      // as bullmq sets it: the backoff of a delayed retry, 0 for one at once
      job.delay = plan.kind === 'delay' ? plan.delay : 0;
      job.failedReason = plan.reason;
      job.stacktrace = plan.stacktrace;
      this.reporter.notify('failed', job, plan.error, 'active');
      return;
    }
    const keep = job.opts.removeOnFail ?? this.opts.removeOnFail;
    await this.batcher.finish(entry, 'failed', plan.reason, keep, JSON.stringify(plan.stacktrace), (now) => {
      job.failedReason = plan.reason;
      job.stacktrace = plan.stacktrace;
      job.finishedOn = now;
      job.attemptsMade += 1;
      this.reporter.notify('failed', job, plan.error, 'active');
    });
    this.slots.drop(entry);
  }

  /** A failure stored by `job.moveToFailed` itself: 'failed' when it went through, else 'error'. */
  private async failThroughJob(entry: Held, thrown: unknown): Promise<void> {
    const { job } = entry;
    try {
      await job.moveToFailed(thrown as Error, entry.token, false);
    } catch (err) {
      this.slots.drop(entry);
      this.emitError(err);
      return;
    }
    this.slots.drop(entry);
    this.reporter.notify('failed', job, describeFailure(thrown).error, 'active');
  }

  // ------------------------------------------------------------------------------ locks, stalls

  private startTimers(): void {
    this.locks.start();
    void this.startStalledCheckTimer();
  }

  /**
   * Runs the stalled checker now and then every stalledInterval (unless skipStalledCheck). run()
   * starts it; a worker driven by hand (getNextJob) calls it. Resolves after the first check.
   */
  startStalledCheckTimer(): Promise<void> {
    return this.stalled.start();
  }

  /**
   * Renews the locks of all held jobs in one call: 'locksRenewed' ({ count, jobIds }) for those
   * renewed. A job whose lock is gone (expired, deleted, or taken over) gets 'lockRenewalFailed'
   * and its signal aborted: another worker may run it now.
   */
  renewLocks(): Promise<void> {
    return this.locks.renew();
  }

  /** One pass of the stalled checker from the timer: errors become 'error' events. */
  checkStalled(): Promise<string[]> {
    return this.stalled.check();
  }

  /**
   * One pass of the stalled checker, as BullMQ's method of that name (skipped by Redis when any
   * worker ran one within stalledInterval): jobs found in active without a lock go back to wait,
   * each with a 'stalled' event; resolves with their ids.
   */
  moveStalledJobsToWait(): Promise<string[]> {
    return this.stalled.pass();
  }

  // ------------------------------------------------------------------------------ closing

  /**
   * Stops fetching, waits for active jobs, then closes connections (a client passed in stays
   * open). With `force`, as in BullMQ, it does not wait for the jobs in hand: they stay in active,
   * their locks are no longer renewed, the stalled checker of any worker recovers them once the
   * locks expire, and whatever their processors do afterwards is ignored (this is how a crash is
   * simulated). `force` with `{ requeue: true }` (Conveyor's own) instead aborts their signals and
   * moves them back to wait at once. A forced close also cuts short a close() already waiting.
   */
  close(force = false, opts?: WorkerCloseOptions): Promise<void> {
    let requeue: boolean;
    try {
      requeue = closeRequeue(opts);
    } catch (err) {
      return Promise.reject(err);
    }
    if (force && !this.state.forceClosing) this.forcing = this.letGoOfRunning(requeue);
    // set before anything else runs, so the loop, listeners and a nested close() all see it
    this.closing ??= Promise.resolve().then(() => this.shutdown());
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.reporter.notify('closing', 'closing worker');
    this.stalled.stop();
    // ends a BZPOPMIN in progress at once (the blocking connection is always our own)
    const blockingClosed = this.blockingConnection.disconnect();
    this.wakeOnClose.abort();
    this.slots.changed.notify();
    await this.loopRun?.catch(() => {});
    await this.slots.whenIdle();
    await this.forcing;
    // children still busy were let go of by a forced close: nothing they do counts any more
    await this.sandbox?.close();
    this.locks.stop();
    await blockingClosed;
    // made while close() waited, if any (an ended one is left alone)
    const madeSince = this.blockingConnection.disconnect();
    if (madeSince) await madeSince;
    this.connectionClosed = true;
    await this.closeConnection();
    this.reporter.notify('closed');
  }

  /**
   * A forced close lets go of the jobs whose processors still run: nothing they do later counts.
   * With `requeue` their signals abort and they go back to wait; without, they stay in active
   * under their lock, which is no longer renewed (the stalled checker recovers them).
   */
  private async letGoOfRunning(requeue: boolean): Promise<void> {
    this.state.forceClosing = true;
    const running = [...this.slots.entries()].filter((h) => h.phase === 'running' && !h.abandoned);
    for (const h of running) {
      h.abandoned = true;
      if (h.done) this.slots.untrack(h.done);
    }
    this.slots.changed.notify();
    if (!requeue) {
      for (const h of running) this.slots.drop(h);
      return;
    }
    for (const h of running) {
      const reason = new Error(`Worker "${this.name}" closed with force: job ${h.job.id} was moved back to wait`);
      reason.name = 'WorkerClosedError';
      h.controller.abort(reason);
    }
    await Promise.all(
      running.reverse().map(async (h) => {
        await this.heldMoves.handBack(h.job, h.token);
        this.slots.drop(h);
      }),
    );
  }
}

/** close()'s options: undefined, or an object whose `requeue` is a boolean when given. */
function closeRequeue(opts: unknown): boolean {
  const o = checkOptionsObject('close options', opts, ['requeue']);
  const requeue = o.requeue ?? false;
  checkBooleanArg('requeue', requeue);
  return requeue;
}

/** Listener types as bullmq 6.7's (WorkerListener); other event names take any listener. */
export interface Worker<DataType, ResultType, NameType extends string, B, ProgressType extends JobProgress, ConnectionOptionsType> {
  on<U extends keyof WorkerListener<DataType, ResultType, NameType, ProgressType>>(
    event: U,
    listener: WorkerListener<DataType, ResultType, NameType, ProgressType>[U],
  ): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<U extends keyof WorkerListener<DataType, ResultType, NameType, ProgressType>>(
    event: U,
    listener: WorkerListener<DataType, ResultType, NameType, ProgressType>[U],
  ): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  off<U extends keyof WorkerListener<DataType, ResultType, NameType, ProgressType>>(
    eventName: U,
    listener: WorkerListener<DataType, ResultType, NameType, ProgressType>[U],
  ): this;
  off(event: string | symbol, listener: (...args: any[]) => void): this;
  emit<U extends keyof WorkerListener<DataType, ResultType, NameType, ProgressType>>(
    event: U,
    ...args: Parameters<WorkerListener<DataType, ResultType, NameType, ProgressType>[U]>
  ): boolean;
  emit(event: string | symbol, ...args: any[]): boolean;
}
