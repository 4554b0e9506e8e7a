import { Injectable, Logger } from '@nestjs/common';
import type { Worker } from '../engine/index.js';
import { UnknownWorkerError } from './errors/unknown-worker.error.js';
import { FORCED_CLOSE_GRACE_MS } from './queue.constants.js';
import { FORCED_CLOSE_INCOMPLETE, SHUTDOWN_DEADLINE, WORKER_ERROR } from './queue.messages.js';

/** A worker the module made for a `@Processor` (internal shape). */
export interface WorkerEntry {
  queueName: string;
  configKey: string;
  /** The processor class's name. */
  processor: string;
  /** false: wait for `WorkerRegistry.start` (the processor's `autorun: false`). */
  autorun: boolean;
  shutdownTimeoutMs: number;
  /** Makes a new worker (first at boot, again when a closed one is started). */
  create: () => Worker;
  worker: Worker;
}

/** What `WorkerRegistry.list()` tells about a worker. */
export interface WorkerDescription {
  queueName: string;
  configKey: string;
  processor: string;
  running: boolean;
  paused: boolean;
  closed: boolean;
  concurrency: number;
  activeJobs: number;
}

export type WorkerState = 'running' | 'paused' | 'closed' | 'stopped';

/**
 * The app's workers at run time: list them, start (also after a close: a new worker is made),
 * pause, resume and close them. Methods without a queue name act on every worker.
 */
@Injectable()
export class WorkerRegistry {
  private readonly logger = new Logger('QueueModule');
  private readonly entries: WorkerEntry[] = [];
  /** The app has bootstrapped: a worker registered now (BullRegistrar.register) starts at once. */
  private started = false;

  /** Internal: the explorer registers each worker it made. */
  add(entry: Omit<WorkerEntry, 'worker'>): WorkerEntry {
    const full = { ...entry, worker: entry.create() };
    this.entries.push(full);
    if (this.started && full.autorun) this.startEntry(full);
    return full;
  }

  list(): WorkerDescription[] {
    return this.entries.map(({ queueName, configKey, processor, worker }) => ({
      queueName,
      configKey,
      processor,
      // started: a paused worker is not running (as in BullMQ) but was started
      running: worker.isRunning() || worker.isPaused(),
      paused: worker.isPaused(),
      closed: worker.closed,
      concurrency: worker.concurrency,
      activeJobs: worker.activeJobs.length,
    }));
  }

  /** The worker of a queue (give configKey when the name exists on several connections). */
  get(queueName: string, configKey?: string): Worker {
    return this.find(queueName, configKey)[0].worker;
  }

  static stateOf(worker: Worker): WorkerState {
    if (worker.closed) return 'closed';
    // a paused worker is not running, as in BullMQ, but it was started
    if (worker.isPaused()) return 'paused';
    return worker.isRunning() ? 'running' : 'stopped';
  }

  /** Internal: all entries, for the lifecycle and the health indicator. */
  get all(): readonly WorkerEntry[] {
    return this.entries;
  }

  /** Starts a worker (a closed one is made anew); a running one is left as it is. */
  start(queueName?: string, configKey?: string): void {
    for (const entry of this.select(queueName, configKey)) this.startEntry(entry);
  }

  private startEntry(entry: WorkerEntry): void {
    if (entry.worker.closed) entry.worker = entry.create();
    if (entry.worker.isRunning() || entry.worker.isPaused()) return;
    entry.worker.run().catch((err: unknown) => this.logger.error(WORKER_ERROR(entry.queueName), (err as Error)?.stack ?? String(err)));
  }

  /** Internal: starts the workers that start with the app, and from now on each one added later. */
  startAutorun(): void {
    this.started = true;
    for (const entry of this.entries) if (entry.autorun) this.startEntry(entry);
  }

  /** Stops fetching; unless `doNotWaitActive`, resolves once the active jobs are done. */
  async pause(queueName?: string, doNotWaitActive = false, configKey?: string): Promise<void> {
    await Promise.all(this.select(queueName, configKey).map((e) => e.worker.pause(doNotWaitActive)));
  }

  async resume(queueName?: string, configKey?: string): Promise<void> {
    await Promise.all(this.select(queueName, configKey).map((e) => e.worker.resume()));
  }

  /**
   * Closes workers: waits for their active jobs, or with `force` aborts their signals and hands
   * them back to wait at once (worker.close(true, { requeue: true }), not BullMQ's close(true)).
   */
  async close(queueName?: string, force = false, configKey?: string): Promise<void> {
    await Promise.all(this.select(queueName, configKey).map((e) => e.worker.close(force, { requeue: force })));
  }

  /**
   * Internal, for shutdown: stops fetching everywhere, waits for active jobs up to each
   * connection's shutdownTimeoutMs, then aborts what is left and hands it back to wait.
   */
  async drain(): Promise<void> {
    await Promise.all(this.entries.map((entry) => this.drainOne(entry)));
  }

  private async drainOne({ worker, queueName, shutdownTimeoutMs }: WorkerEntry): Promise<void> {
    // close() stops fetching (also the fetch-next of a finishing job) and waits for active jobs
    if (
      await within(
        worker.close().then(() => true),
        shutdownTimeoutMs,
      )
    )
      return;
    const ids = worker.activeJobs.map((job) => job.id ?? '?');
    this.logger.warn(SHUTDOWN_DEADLINE(queueName, shutdownTimeoutMs, ids));
    // { requeue: true }: the jobs' signals abort and they go back to wait at once, cutting the
    // close short (a bare close(true), as BullMQ's, would leave them in active until they stall)
    if (
      !(await within(
        worker.close(true, { requeue: true }).then(() => true),
        FORCED_CLOSE_GRACE_MS,
      ))
    ) {
      this.logger.warn(FORCED_CLOSE_INCOMPLETE(queueName, FORCED_CLOSE_GRACE_MS));
    }
  }

  /** The workers an action names: every worker of the queue (several on one connection are fine). */
  private select(queueName: string | undefined, configKey: string | undefined): WorkerEntry[] {
    if (queueName === undefined) return this.entries;
    const found = this.matching(queueName, configKey);
    if (found.length === 0 || new Set(found.map((e) => e.configKey)).size > 1) this.reject(queueName, configKey, found);
    return found;
  }

  /** The one worker `get` names. */
  private find(queueName: string, configKey: string | undefined): WorkerEntry[] {
    const found = this.matching(queueName, configKey);
    if (found.length !== 1) this.reject(queueName, configKey, found);
    return found;
  }

  private matching(queueName: string, configKey: string | undefined): WorkerEntry[] {
    return this.entries.filter((e) => e.queueName === queueName && (configKey === undefined || e.configKey === configKey));
  }

  private reject(queueName: string, configKey: string | undefined, found: WorkerEntry[]): never {
    const known = this.entries.map((e) => `${e.queueName} (${e.configKey})`);
    throw new UnknownWorkerError(queueName, configKey, known, found.length > 1);
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.catch(() => true), deadline]).finally(() => clearTimeout(timer));
}
