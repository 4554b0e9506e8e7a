import { randomUUID } from 'node:crypto';
import { backoffDelay, type BackoffStrategy } from './backoff.js';
import { duplicateConnection, type RedisClient } from './connection.js';
import {
  ConveyorScriptError,
  DelayedError,
  RateLimitError,
  scriptError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
} from './errors.js';
import { Job } from './job.js';
import { checkInteger, keepJobsArgs, show, type KeepJobs, type QueueBaseOptions } from './options.js';
import { QueueBase } from './queue-base.js';
import { runScript } from './scripts.js';
import { describeFailure } from './failure.js';
import { Deadline, Signal } from './timing.js';

export type Processor<DataType = any, ResultType = any, NameType extends string = string> = (
  job: Job<DataType, ResultType, NameType>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ResultType> | ResultType;

export interface WorkerOptions extends QueueBaseOptions {
  /** Jobs processed at once by this worker. @default 1 */
  concurrency?: number;
  /** Written to `processedBy` and the blocking connection's client name. */
  name?: string;
  /** Start processing in the constructor. @default true */
  autorun?: boolean;
  /** How long a job's lock lives without renewal, ms. @default 30000 */
  lockDuration?: number;
  /** How often held locks are renewed, ms. @default lockDuration / 2 */
  lockRenewTime?: number;
  /** How often the stalled checker runs, ms. @default 30000 */
  stalledInterval?: number;
  /** Stalls a job survives before it fails. @default 1 */
  maxStalledCount?: number;
  skipStalledCheck?: boolean;
  skipLockRenewal?: boolean;
  /** Longest idle wait for a new job, in seconds (BullMQ's unit). @default 5 */
  drainDelay?: number;
  /** At most `max` jobs started per `duration` ms, across all workers of the queue. */
  limiter?: { max: number; duration: number };
  removeOnComplete?: KeepJobs;
  removeOnFail?: KeepJobs;
  /** Fail a job without running it once it was started more often than this. */
  maxStartedAttempts?: number;
  settings?: { backoffStrategy?: BackoffStrategy };
}

/** The defaults, in one place (BullMQ's values and units). */
export const WORKER_DEFAULTS = {
  concurrency: 1,
  lockDuration: 30_000,
  stalledInterval: 30_000,
  maxStalledCount: 1,
  drainDelay: 5,
};

type ResolvedWorkerOptions = WorkerOptions & typeof WORKER_DEFAULTS & { lockRenewTime: number };

/** Backoff after a failed fetch: fast first retries, capped so a refusing Redis sees a few a second. */
const FETCH_RETRY_MS = { first: 50, max: 2_000 };
/** How often a finish that hit a connection error is retried while the job is still ours. */
const FINISH_RETRIES = 20;

interface Held {
  job: Job;
  token: string;
  controller: AbortController;
}

type FetchReply = { rateLimitTtl: number; nextDelayed: number; jobs: Job[] };

export class Worker<DataType = any, ResultType = any, NameType extends string = string> extends QueueBase {
  readonly opts: ResolvedWorkerOptions;
  readonly id = randomUUID();
  private processor: Processor<DataType, ResultType, NameType> | undefined;
  private blocking: RedisClient | undefined;
  private readonly held = new Map<string, Held>();
  private readonly processing = new Set<Promise<void>>();
  private readonly slotFreed = new Signal();
  private readonly wake = new Signal();
  private tokenCounter = 0;
  private running: Promise<void> | undefined;
  private paused = false;
  private drained = false;
  private fetchFailures = 0;
  private nextDelayedAt = 0;
  private lockTimer: NodeJS.Timeout | undefined;
  private stalledTimer: NodeJS.Timeout | undefined;
  private forceClosing = false;

  constructor(name: string, processor?: Processor<DataType, ResultType, NameType> | null, opts: WorkerOptions = {}) {
    super(name, opts);
    const lockDuration = opts.lockDuration ?? WORKER_DEFAULTS.lockDuration;
    this.opts = {
      ...WORKER_DEFAULTS,
      ...stripUndefined(opts),
      lockRenewTime: opts.lockRenewTime ?? lockDuration / 2,
    } as ResolvedWorkerOptions;
    validateWorkerOptions(this.opts);
    if (processor !== undefined && processor !== null && typeof processor !== 'function') {
      throw new TypeError(`processor must be a function (file-path processors are not supported yet), got ${show(processor)}`);
    }
    this.processor = processor ?? undefined;
    if (this.processor && opts.autorun !== false) {
      this.run().catch((err) => this.emitError(err));
    }
  }

  get concurrency(): number {
    return this.opts.concurrency;
  }

  set concurrency(value: number) {
    checkInteger('concurrency', value, 1);
    this.opts.concurrency = value;
    this.slotFreed.notify();
  }

  isRunning(): boolean {
    return this.running !== undefined && !this.closing;
  }

  isPaused(): boolean {
    return this.paused;
  }

  /** Jobs this worker holds right now. */
  get activeJobs(): Job[] {
    return [...this.held.values()].map((h) => h.job);
  }

  /** Starts processing; resolves when the worker has closed. */
  run(): Promise<void> {
    if (!this.processor) throw new Error(`Worker "${this.name}" has no processor to run`);
    if (this.closing) throw new Error(`Worker "${this.name}" is closed`);
    if (this.running) throw new Error(`Worker "${this.name}" is already running`);
    this.running = this.loop();
    return this.running;
  }

  /** Stops fetching new jobs; unless `doNotWaitActive`, waits for the jobs in hand. */
  async pause(doNotWaitActive = false): Promise<void> {
    if (this.paused) return;
    // a wait on the marker in progress ends by itself within drainDelay; no job is fetched after it
    this.paused = true;
    if (!doNotWaitActive) await this.whenIdle();
    this.emit('paused');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.wake.notify();
    this.emit('resumed');
  }

  private async loop(): Promise<void> {
    while (!this.closing && !this.blocking) {
      try {
        await this.client;
        this.blocking = duplicateConnection(this.connection.client, {
          connectionName: this.clientName(),
          maxRetriesPerRequest: null,
        });
        this.blocking.on('error', (err: Error) => {
          if (!this.closing) this.emitError(err);
        });
      } catch (err) {
        if (this.closing) return;
        this.emitError(err);
        this.fetchFailures += 1;
        await this.sleep(Math.min(FETCH_RETRY_MS.first * 2 ** (this.fetchFailures - 1), FETCH_RETRY_MS.max));
      }
    }
    if (this.closing) return;
    this.fetchFailures = 0;
    this.startTimers();
    this.emit('ready');

    while (!this.closing) {
      if (this.paused) {
        await this.wake.wait();
        continue;
      }
      const free = this.opts.concurrency - this.held.size;
      if (free <= 0) {
        await Promise.race([this.slotFreed.wait(), this.wake.wait()]);
        continue;
      }
      if (this.drained) {
        await this.waitForJobs();
        if (this.closing || this.paused) continue;
      }
      let reply: FetchReply;
      try {
        reply = await this.fetch(free);
        this.fetchFailures = 0;
      } catch (err) {
        if (this.closing) break;
        this.emitError(err);
        this.fetchFailures += 1;
        await this.sleep(Math.min(FETCH_RETRY_MS.first * 2 ** (this.fetchFailures - 1), FETCH_RETRY_MS.max));
        continue;
      }
      if (this.closing) {
        // a fetch in flight when close() began: hand its jobs back at once, never leave them active
        await Promise.all(reply.jobs.map((job) => this.handBack(job)));
        break;
      }
      this.absorb(reply);
      if (reply.rateLimitTtl > 0) await this.sleep(reply.rateLimitTtl);
    }
  }

  private clientName(): string {
    const base = `${this.prefix}:${Buffer.from(this.name).toString('base64')}`;
    return this.opts.name ? `${base}:w:${this.opts.name}` : base;
  }

  private nextToken(): string {
    this.tokenCounter += 1;
    return `${this.id}:${this.tokenCounter}`;
  }

  private fetchArgs(token: string, count: number): (string | number)[] {
    const limiter = this.opts.limiter;
    return [token, this.opts.lockDuration, Date.now(), limiter?.max ?? 0, limiter?.duration ?? 0, this.opts.name ?? '', count];
  }

  private async fetch(count: number): Promise<FetchReply> {
    const token = this.nextToken();
    const raw = (await this.exec_('moveToActive', [this.keys.meta], [this.keys.base, ...this.fetchArgs(token, count)])) as unknown[];
    return this.parseFetch(raw, 0, token);
  }

  private parseFetch(raw: unknown[], offset: number, token: string): FetchReply {
    const jobs: Job[] = [];
    for (let i = offset + 2; i < raw.length; i += 2) {
      const job = Job.fromHash(this, raw[i + 1] as string[], raw[i] as string);
      job.token = token;
      jobs.push(job);
    }
    return { rateLimitTtl: Number(raw[offset]) || 0, nextDelayed: Number(raw[offset + 1]) || 0, jobs };
  }

  /** Starts the jobs of a fetch reply and notes whether the queue ran dry. */
  private absorb(reply: FetchReply): void {
    this.nextDelayedAt = reply.nextDelayed;
    if (reply.jobs.length === 0) {
      if (reply.rateLimitTtl === 0 && !this.drained) {
        this.drained = true;
        this.emit('drained');
      }
      return;
    }
    this.drained = false;
    for (const job of reply.jobs) this.start(job);
  }

  private async exec_(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.connection.client, script, keys, args);
  }

  /** Idle: block on the marker until a job is ready, a delayed job is due, or drainDelay passes. */
  private async waitForJobs(): Promise<void> {
    const blocking = this.blocking!;
    const deadline = Date.now() + this.opts.drainDelay * 1000;
    while (!this.closing && !this.paused) {
      const now = Date.now();
      let until = deadline;
      if (this.nextDelayedAt > 0) until = Math.min(until, this.nextDelayedAt);
      const timeoutS = (until - now) / 1000;
      if (timeoutS <= 0) break;
      let popped: [string, string, string] | null;
      try {
        popped = (await blocking.bzpopmin(this.keys.marker, Math.max(timeoutS, 0.001))) as [string, string, string] | null;
      } catch (err) {
        if (this.closing || this.paused) return;
        this.emitError(err);
        await this.sleep(FETCH_RETRY_MS.first);
        break;
      }
      if (!popped) break;
      const [, member, score] = popped;
      if (member === '1') {
        const due = Number(score);
        if (due > Date.now()) {
          this.nextDelayedAt = due;
          continue;
        }
      }
      break;
    }
    this.drained = false;
  }

  private start(job: Job): void {
    const entry: Held = { job, token: job.token!, controller: new AbortController() };
    this.held.set(job.id!, entry);
    const done = this.processJob(entry).finally(() => {
      this.held.delete(job.id!);
      this.processing.delete(done);
      this.slotFreed.notify();
    });
    this.processing.add(done);
  }

  private async processJob(entry: Held): Promise<void> {
    const { job, token, controller } = entry;
    if (job.deferredFailure) {
      return this.finishFailed(entry, new UnrecoverableError(job.deferredFailure));
    }
    if (this.opts.maxStartedAttempts !== undefined && job.attemptsStarted > this.opts.maxStartedAttempts) {
      return this.finishFailed(entry, new UnrecoverableError('job started more than allowable limit'));
    }
    this.emit('active', job, 'waiting');
    let result: ResultType;
    try {
      result = await this.processor!(job as Job<DataType, ResultType, NameType>, token, controller.signal);
    } catch (err) {
      return this.finishFailed(entry, err);
    }
    return this.finishCompleted(entry, result);
  }

  /** How many jobs a finish may fetch in the same call: none while closing or paused. */
  private fetchNextCount(): number {
    if (this.closing || this.paused) return 0;
    // the finishing job's slot is free again; others may be free too
    return Math.max(0, this.opts.concurrency - this.held.size + 1);
  }

  private async finishCompleted(entry: Held, result: ResultType): Promise<void> {
    const { job, token } = entry;
    if (this.forceClosing) return;
    const returnvalue = JSON.stringify(result === undefined ? null : result) ?? 'null';
    const keep = job.opts.removeOnComplete ?? this.opts.removeOnComplete;
    const reply = await this.finish(entry, 'completed', returnvalue, keep, '');
    if (!reply) return;
    job.returnvalue = result;
    job.finishedOn = reply.now;
    job.attemptsMade += 1;
    this.emit('completed', job, result, 'active');
    this.continueWith(reply);
  }

  private async finishFailed(entry: Held, thrown: unknown): Promise<void> {
    const { job, token } = entry;
    if (this.forceClosing) return;
    if (thrown instanceof DelayedError || thrown instanceof WaitingChildrenError || thrown instanceof WaitingError) {
      // the processor moved the job itself; nothing to finish
      return;
    }
    const { error, reason } = describeFailure(thrown);
    job.failedReason = reason;
    const stackLimit = job.opts.stackTraceLimit;
    if (error.stack) job.stacktrace = [...(job.stacktrace ?? []), error.stack];
    if (stackLimit === 0) job.stacktrace = [];
    else if (stackLimit !== undefined) job.stacktrace = job.stacktrace.slice(-stackLimit);
    const stacktrace = JSON.stringify(job.stacktrace);

    if (thrown instanceof RateLimitError) {
      await this.move(entry, 'retryJob', [Date.now(), 'RPUSH', '', '', '0', '1']);
      return;
    }

    const attempts = Number(job.opts.attempts ?? 0);
    const attemptsMade = job.attemptsMade + 1;
    const recoverable = !(thrown instanceof UnrecoverableError);
    if (recoverable && attemptsMade < attempts) {
      let delay: number | undefined;
      try {
        delay = await backoffDelay(job.opts.backoff, attemptsMade, error, job, this.opts.settings?.backoffStrategy);
      } catch (err) {
        delay = undefined;
        job.failedReason = `backoff strategy threw: ${describeFailure(err).reason}`;
      }
      if (delay === undefined && !job.failedReason?.startsWith('backoff strategy threw')) {
        const type = typeof job.opts.backoff === 'object' ? job.opts.backoff.type : job.opts.backoff;
        job.failedReason = `Unknown backoff strategy ${show(type)}: set settings.backoffStrategy on the worker (after: ${reason})`;
      }
      if (delay !== undefined && delay !== -1) {
        const now = Date.now();
        const ok =
          delay > 0
            ? await this.move(entry, 'moveToDelayed', [now, now + delay, reason, stacktrace, '1'])
            : await this.move(entry, 'retryJob', [now, job.opts.lifo ? 'RPUSH' : 'LPUSH', reason, stacktrace, '1', '0']);
        if (ok) {
          job.attemptsMade = attemptsMade;
          this.emit('failed', job, error, 'active');
        }
        return;
      }
    }
    const keep = job.opts.removeOnFail ?? this.opts.removeOnFail;
    const reply = await this.finish(entry, 'failed', job.failedReason ?? reason, keep, stacktrace);
    if (!reply) return;
    job.finishedOn = reply.now;
    job.attemptsMade = attemptsMade;
    this.emit('failed', job, error, 'active');
    this.continueWith(reply);
  }

  /** Jobs a finish fetched take over the freed slot. */
  private continueWith(reply: FetchReply & { now: number }): void {
    if (this.closing) {
      for (const job of reply.jobs) void this.handBack(job);
      return;
    }
    if (reply.jobs.length > 0) {
      this.drained = false;
      for (const job of reply.jobs) this.start(job);
    } else if (reply.rateLimitTtl === 0 && this.fetchNextCount() > 0) {
      this.nextDelayedAt = reply.nextDelayed;
      if (!this.drained && this.held.size <= 1) {
        this.drained = true;
        this.emit('drained');
      }
    }
  }

  /**
   * Runs the finish script. Connection errors are retried while the job is still ours; a lost lock
   * is reported (another worker has the job now) and not retried.
   */
  private async finish(
    entry: Held,
    target: 'completed' | 'failed',
    value: string,
    keep: KeepJobs | undefined,
    stacktrace: string,
  ): Promise<(FetchReply & { now: number }) | undefined> {
    const { job, token } = entry;
    const [keepCount, keepAge, keepLimit] = keepJobsArgs(keep);
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const fetchCount = this.fetchNextCount();
      const limiter = this.opts.limiter;
      try {
        const raw = await this.exec_('moveToFinished', [job.key], [
          this.keys.base, job.id!, token, now, target, value, keepCount, keepAge, keepLimit,
          Number(job.opts.attempts ?? 0), stacktrace, fetchCount, this.opts.lockDuration,
          limiter?.max ?? 0, limiter?.duration ?? 0, this.opts.name ?? '',
        ]);
        if (typeof raw === 'number') {
          this.emitError(scriptError(raw, job.id, target === 'completed' ? 'moveToCompleted' : 'moveToFailed'));
          return undefined;
        }
        const arr = raw as unknown[];
        return { ...this.parseFetch(arr, 1, token), now };
      } catch (err) {
        if (err instanceof ConveyorScriptError || attempt >= FINISH_RETRIES || this.forceClosing) {
          this.emitError(err);
          return undefined;
        }
        this.emitError(err);
        await this.sleep(Math.min(FETCH_RETRY_MS.first * 2 ** attempt, FETCH_RETRY_MS.max), true);
      }
    }
  }

  /** retryJob / moveToDelayed for the held job; false when the job is no longer ours. */
  private async move(entry: Held, script: 'retryJob' | 'moveToDelayed', rest: (string | number)[]): Promise<boolean> {
    const { job, token } = entry;
    for (let attempt = 0; ; attempt++) {
      try {
        const code = (await this.exec_(script, [job.key], [this.keys.base, job.id!, token, ...rest])) as number;
        if (code < 0) {
          this.emitError(scriptError(code, job.id, script));
          return false;
        }
        return true;
      } catch (err) {
        this.emitError(err);
        if (attempt >= FINISH_RETRIES || this.forceClosing) return false;
        await this.sleep(Math.min(FETCH_RETRY_MS.first * 2 ** attempt, FETCH_RETRY_MS.max), true);
      }
    }
  }

  /** Puts a job this worker will not run back in front of the queue, without using an attempt. */
  private async handBack(job: Job): Promise<void> {
    try {
      const code = (await this.exec_('retryJob', [job.key], [this.keys.base, job.id!, job.token!, Date.now(), 'RPUSH', '', '', '0', '1'])) as number;
      if (code < 0) this.emitError(scriptError(code, job.id, 'moveJobFromActiveToWait'));
    } catch (err) {
      this.emitError(err);
    }
  }

  // ----------------------------------------------------------------------------------- timers

  private startTimers(): void {
    if (!this.opts.skipLockRenewal) {
      this.lockTimer = setInterval(() => void this.renewLocks(), this.opts.lockRenewTime);
      this.lockTimer.unref?.();
    }
    if (!this.opts.skipStalledCheck) {
      void this.checkStalled();
      this.stalledTimer = setInterval(() => void this.checkStalled(), this.opts.stalledInterval);
      this.stalledTimer.unref?.();
    }
  }

  private stopTimers(): void {
    clearInterval(this.lockTimer);
    clearInterval(this.stalledTimer);
    this.lockTimer = this.stalledTimer = undefined;
  }

  /** Renews every held lock in one call; a job whose lock is gone has its signal aborted. */
  async renewLocks(): Promise<void> {
    if (this.held.size === 0) return;
    const args: (string | number)[] = [this.keys.base, this.opts.lockDuration];
    for (const [id, h] of this.held) args.push(id, h.token);
    try {
      const lost = (await this.exec_('extendLocks', [this.keys.stalled], args)) as string[];
      for (const id of lost) {
        const entry = this.held.get(id);
        if (!entry) continue;
        this.emit('lockRenewalFailed', [id]);
        this.emitError(new Error(`Lock of job ${id} was lost (expired or taken by another worker); the job may run twice`));
        entry.controller.abort(new Error(`Lock of job ${id} was lost`));
      }
    } catch (err) {
      this.emitError(err);
    }
  }

  /** One pass of the stalled checker (skipped by Redis if another worker ran one recently). */
  async checkStalled(): Promise<string[]> {
    try {
      const ids = (await this.exec_('moveStalledJobsToWait', [this.keys.stalledCheck], [
        this.keys.base, this.opts.maxStalledCount, Date.now(), this.opts.stalledInterval,
      ])) as string[];
      for (const id of ids) this.emit('stalled', id, 'active');
      return ids;
    } catch (err) {
      if (!this.closing) this.emitError(err);
      return [];
    }
  }

  // ----------------------------------------------------------------------------------- closing

  private async whenIdle(): Promise<void> {
    while (this.processing.size > 0) await Promise.allSettled([...this.processing]);
  }

  /**
   * Stops fetching, waits for active jobs, then closes connections. `force` aborts the active
   * jobs' signals and moves them back to wait at once instead of waiting.
   */
  close(force = false): Promise<void> {
    if (force && this.closing && !this.forceClosing) void this.forceReturn();
    if (!this.closing) {
      this.closing = (async () => {
        this.emit('closing', 'closing worker');
        clearInterval(this.stalledTimer);
        // ends a BZPOPMIN in progress at once (the blocking connection is always our own)
        this.blocking?.disconnect();
        this.wake.notify();
        this.slotFreed.notify();
        if (force) await this.forceReturn();
        await this.running?.catch(() => {});
        await this.whenIdle();
        this.stopTimers();
        await this.closeConnection();
        this.emit('closed');
      })();
    }
    return this.closing;
  }

  private async forceReturn(): Promise<void> {
    this.forceClosing = true;
    const entries = [...this.held.values()];
    for (const e of entries) e.controller.abort(new Error('Worker is closing (forced)'));
    await Promise.all(entries.map((e) => this.handBack(e.job)));
  }

  /** Waits `ms`, cut short by close() (unless `uninterruptible`, for finishing work in hand). */
  private sleep(ms: number, uninterruptible = false): Promise<void> {
    return uninterruptible ? new Deadline(ms).promise : Promise.race([new Deadline(ms).promise, this.closedSignal()]);
  }

  private closedSignal(): Promise<void> {
    return this.closing ? Promise.resolve() : this.wake.wait();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateWorkerOptions(o: ResolvedWorkerOptions): void {
  checkInteger('concurrency', o.concurrency, 1);
  checkInteger('lockDuration', o.lockDuration, 1);
  if (typeof o.lockRenewTime !== 'number' || !(o.lockRenewTime > 0)) {
    throw new TypeError(`lockRenewTime must be a number > 0, got ${show(o.lockRenewTime)}`);
  }
  checkInteger('stalledInterval', o.stalledInterval, 1);
  checkInteger('maxStalledCount', o.maxStalledCount, 0);
  if (typeof o.drainDelay !== 'number' || !(o.drainDelay > 0)) {
    throw new TypeError(`drainDelay must be a number of seconds > 0, got ${show(o.drainDelay)}`);
  }
  if (o.limiter !== undefined) {
    checkInteger('limiter.max', o.limiter?.max, 1);
    checkInteger('limiter.duration', o.limiter?.duration, 1);
  }
  if (o.maxStartedAttempts !== undefined) checkInteger('maxStartedAttempts', o.maxStartedAttempts, 0);
}
