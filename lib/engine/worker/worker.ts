import { randomUUID } from 'node:crypto';
import type { RedisQueueBackend } from '../connection/backend.js';
import { whenReady, type ConnectionOptions, type RedisClient } from '../connection/connection.js';
import { QueueBase } from '../connection/queue-base.js';
import { RateLimitError } from '../core/errors.js';
import { show } from '../core/show.js';
import { sleep } from '../core/timing.js';
import type { JobProgress } from '../job/job-shapes.js';
import type { Job } from '../job/job.js';
import { setRateLimit } from '../queue/controls.js';
import { isProcessorFile, Sandbox } from '../sandbox/sandbox.js';
import { jobSchedulerOf, type JobScheduler } from '../scheduler/job-scheduler.js';
import type { WorkerListener } from './listeners.js';
import { checkCancelArgs, extendJobLocks, takeNextJob, type GetNextJobOptions } from './manual.js';
import { checkConcurrency, resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './options.js';
import { assembleParts, type WorkerParts } from './parts.js';
import { processJobByHand, type HandProcessing } from './process-job.js';
import { takesSignal } from './processor-arity.js';
import { closeRequeue, letGoOfRunning, shutdown, type WorkerCloseOptions } from './shutdown.js';
import { WorkerTracing } from './tracing.js';

export type { WorkerOptions } from './options.js';
export type { GetNextJobOptions } from './manual.js';
export type { WorkerCloseOptions } from './shutdown.js';

/**
 * The function a worker runs for each job. `ProgressType` is bullmq 6.7's fourth parameter, the
 * type of `job.updateProgress`'s value.
 */
export type Processor<
  DataType = any,
  ResultType = any,
  NameType extends string = string,
  ProgressType extends JobProgress = JobProgress,
> = (job: Job<DataType, ResultType, NameType, ProgressType>, token?: string, signal?: AbortSignal) => Promise<ResultType> | ResultType;

/**
 * A worker: takes jobs of its queue and runs the processor on them, `concurrency` at a time. This
 * class is the public face (BullMQ's API, events and options) and the lifecycle (run, pause,
 * close); the work is done by its parts in this folder, wired in parts.ts.
 *
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
  /** Where the work is done (parts.ts). */
  private readonly parts: WorkerParts;
  /** run() was called: resume() starts the loop again after a pause ended it. */
  private started = false;
  /** The fetch loop, until it ends (pause, close) and its jobs are finished. */
  private loopRun: Promise<void> | undefined;
  /** The last pause() waited for the jobs in hand: isRunning() is false from then on, as in BullMQ. */
  private pauseDrained = false;
  /** The loop's start-up (timers, 'ready') happened. */
  private loopStarted = false;
  private connectionClosed = false;
  private forcing: Promise<void> | undefined;
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
    this.sandbox = sandbox;
    if (sandbox) sandbox.onError = (err) => this.emitError(err);
    this.processor = (sandbox ? sandbox.process : (processor ?? undefined)) as Processor<DataType, ResultType, NameType> | undefined;
    const tracing = resolved.telemetry && new WorkerTracing(resolved.telemetry, this, (err) => this.emitError(err));
    this.tracing = tracing || undefined;
    this.parts = assembleParts(this, {
      connection: this.connection,
      emitError: (err) => this.emitError(err),
      tracing: this.tracing,
      // a method call: a processor declared as a function gets the worker as `this`
      process: (job, token, signal) => this.processor!(job as Job<DataType, ResultType, NameType>, token, signal),
      takesSignal: takesSignal(this.processor),
      processor: this.processor as HandProcessing['processor'],
      isStarted: () => this.started,
      loopStarted: () => {
        if (!this.loopStarted) {
          this.loopStarted = true;
          this.startTimers();
        }
        this.emitReady();
      },
    });
    if (this.processor && opts.autorun !== false) {
      this.run().catch((err) => this.emitError(err));
    } else {
      // as BullMQ's: a worker that does not run yet is connected and listed (getWorkers) all the same
      void this.parts.blocking.up().then((up) => up && this.emitReady());
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
    this.parts.slots.changed.notify();
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

  /**
   * As in BullMQ: true while the loop runs, false once closing. After pause(true) it stays true
   * until the loop has ended and the jobs in hand are done; after pause() it is false.
   */
  isRunning(): boolean {
    return this.loopRun !== undefined && !this.closing && !(this.parts.state.paused && this.pauseDrained);
  }

  isPaused(): boolean {
    return this.parts.state.paused;
  }

  /** Jobs this worker holds right now. */
  get activeJobs(): Job[] {
    return this.parts.slots.jobs();
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
    this.loopRun ??= this.parts.fetchLoop
      .run()
      .then(() => this.parts.slots.whenIdle())
      .finally(() => {
        this.loopRun = undefined;
        // a resume() that came while this loop was ending
        if (this.started && !this.parts.state.paused && !this.closing) this.startLoop().catch((err) => this.emitError(err));
      });
    return this.loopRun;
  }

  /**
   * Stops fetching new jobs; unless `doNotWaitActive`, waits for the jobs in hand. The loop ends
   * (run() resolves), as in BullMQ; resume() starts it again.
   */
  async pause(doNotWaitActive = false): Promise<void> {
    if (this.parts.state.paused) return;
    this.parts.state.paused = true;
    this.parts.slots.changed.notify();
    if (!doNotWaitActive) {
      await this.parts.slots.whenIdle();
      // the loop ends a moment later (it was woken above); isRunning() says so already
      if (this.parts.state.paused) this.pauseDrained = true;
    }
    this.parts.reporter.notify('paused');
  }

  async resume(): Promise<void> {
    if (!this.parts.state.paused) return;
    this.parts.state.paused = false;
    this.pauseDrained = false;
    if (this.started && !this.closing) this.startLoop().catch((err) => this.emitError(err));
    this.parts.slots.changed.notify();
    this.parts.reporter.notify('resumed');
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
    return this.parts.slots.abort(jobId, reason);
  }

  /** cancelJob for every job this worker is processing. */
  cancelAllJobs(reason?: string): void {
    checkCancelArgs(undefined, reason);
    this.parts.slots.abortAll(reason);
  }

  // ------------------------------------------------------------------------------ by hand

  /**
   * Manual processing (a worker without processor, `autorun: false`): takes the next job into
   * active, locked with `token` for lockDuration. With `block` (the default) it waits, at most
   * drainDelay, for a job to become ready. Finish the job with job.moveToCompleted/moveToFailed
   * and keep its lock with job.extendLock; nothing is renewed for it.
   */
  async getNextJob(token: string, opts?: GetNextJobOptions): Promise<Job<DataType, ResultType, NameType> | undefined> {
    return (await takeNextJob(this.parts.manual, token, opts)) as Job<DataType, ResultType, NameType> | undefined;
  }

  /**
   * bullmq's processJob, for a job taken by hand: runs the processor, finishes the job with its
   * moveToCompleted/moveToFailed and resolves with the next job the finish fetched, if
   * `fetchNextCallback()` asked for one (process-job.ts).
   */
  async processJob(
    job: Job<DataType, ResultType, NameType>,
    token: string,
    fetchNextCallback?: () => boolean,
  ): Promise<void | Job<DataType, ResultType, NameType>> {
    return (await processJobByHand(this.parts.hand, job, token, fetchNextCallback)) as Job<DataType, ResultType, NameType> | undefined;
  }

  /** Renews the locks of jobs processed by hand; resolves with the ids whose lock was not held by its token. */
  async extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    return extendJobLocks(this, jobIds, tokens, duration);
  }

  // ------------------------------------------------------------------------------ connections

  /** The blocking connection's client, once made (a test looks at it). */
  private get blocking(): RedisClient | undefined {
    return this.parts.blocking.client;
  }

  /** 'ready' once per worker: when it is connected, whether or not it runs yet. */
  private emitReady(): void {
    if (this.readyEmitted || this.closing) return;
    this.readyEmitted = true;
    this.parts.reporter.notify('ready');
  }

  /** Resolves once both connections are ready, so the worker is listed by getWorkers by then. */
  override async waitUntilReady(): Promise<RedisClient> {
    const client = await this.client;
    await this.parts.blocking.up();
    return client;
  }

  // ------------------------------------------------------------------------------ locks, stalls

  private startTimers(): void {
    this.parts.locks.start();
    this.parts.reclaim.start();
    void this.startStalledCheckTimer();
  }

  /**
   * Runs the stalled checker now and then every stalledInterval (unless skipStalledCheck). run()
   * starts it; a worker driven by hand (getNextJob) calls it. Resolves after the first check.
   */
  startStalledCheckTimer(): Promise<void> {
    return this.parts.stalled.start();
  }

  /**
   * Renews the locks of all held jobs in one call: 'locksRenewed' ({ count, jobIds }) for those
   * renewed. A job whose lock is gone (expired, deleted, or taken over) gets 'lockRenewalFailed'
   * and its signal aborted: another worker may run it now.
   */
  renewLocks(): Promise<void> {
    return this.parts.locks.renew();
  }

  /** One pass of the stalled checker from the timer: errors become 'error' events. */
  checkStalled(): Promise<string[]> {
    return this.parts.stalled.check();
  }

  /**
   * One pass of the stalled checker, as BullMQ's method of that name (skipped by Redis when any
   * worker ran one within stalledInterval): jobs found in active without a lock go back to wait,
   * each with a 'stalled' event; resolves with their ids.
   */
  moveStalledJobsToWait(): Promise<string[]> {
    return this.parts.stalled.pass();
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
    if (force && !this.parts.state.forceClosing) {
      // from here on, moves in retry give up (held-moves.ts)
      this.parts.state.forceClosing = true;
      this.forcing = letGoOfRunning(this.parts.slots, this.parts.heldMoves, this.name, requeue);
    }
    // set before anything else runs, so the loop, listeners and a nested close() all see it
    this.closing ??= Promise.resolve().then(() =>
      shutdown({
        ...this.parts,
        loopRun: () => this.loopRun,
        forcing: () => this.forcing,
        closeSandbox: () => this.sandbox?.close(),
        closeConnection: () => {
          this.connectionClosed = true;
          return this.closeConnection();
        },
      }),
    );
    return this.closing;
  }
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
