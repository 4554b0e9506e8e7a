import { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import type {
  JobCleanStatus,
  JobCounts,
  JobSchedulerRepeatOptions,
  JobSchedulerUpdateResult,
  JobStatus,
  MetricsType,
  ObliterateOptions,
  QueueAdapterOptions,
  QueueDefaultJobOptions,
  QueueJob,
  QueueJobOptions,
  QueueMetrics,
  QueueRateLimit,
  QueueWorker,
  Status,
} from '@bull-board/api/dist/types.js';
import { ConveyorValidationError, FlowProducer, type Queue, type RedisClient } from '../engine/index.js';
import { boardCall, boardJob } from './board-errors.js';
import { armedSchedulerOf, listSchedulers, runSchedulerNow, updateSchedule, type SchedulerView } from './job-scheduler-view.js';

/** Any Conveyor queue, whatever its data, result and name types. */
export type BoardQueue = Queue<any, any, any, any, any, any, any, any>;

/** The adapter's options: bull-board's, as its BullMQ adapter takes them. */
export type ConveyorAdapterOptions = Partial<QueueAdapterOptions & { allowCompletedRetries: boolean }>;

/**
 * The job states a BullMQ 6 queue has, in the board's tab order. BullMQ 6 keeps paused jobs in
 * `wait`, so there is no `paused` state (nor tab) to show.
 */
const JOB_STATUSES: JobStatus[] = ['active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed'];

/** What a Conveyor worker's connection name has between the queue's part and the worker's name. */
const WORKER_NAME_SEPARATOR = ':w:';

/** A shape check, not instanceof: the queue may come from another copy of the package. */
function checkQueue(queue: unknown): asserts queue is BoardQueue {
  const q = queue as Partial<BoardQueue> | null;
  const ok =
    typeof q === 'object' &&
    q !== null &&
    typeof q.name === 'string' &&
    typeof q.toKey === 'function' &&
    typeof q.getJobCounts === 'function' &&
    typeof q.getGlobalRateLimit === 'function';
  if (!ok) {
    throw new ConveyorValidationError(
      `ConveyorAdapter takes a Queue of nestjs-conveyor (the one @InjectQueue gives, or new Queue(name, opts)), got ${queue === null ? 'null' : typeof queue}`,
    );
  }
}

/**
 * bull-board's adapter for Conveyor queues: every view and action of the board, on Conveyor's
 * Queue API. `new ConveyorAdapter(queue, options?)`, as bull-board's BullMQAdapter is made, with
 * the same options. Refused input (bad job options, a concurrency Conveyor does not take, a job
 * no longer in the state the action needs) reaches the board's user as a 4xx with Conveyor's
 * message.
 */
export class ConveyorAdapter extends BaseAdapter {
  private readonly queue: BoardQueue;
  private flowProducer: FlowProducer | undefined;

  constructor(queue: BoardQueue, options: ConveyorAdapterOptions = {}) {
    checkQueue(queue);
    // 'bullmq': the board keeps flows, schedulers and rate limits to adapters of that type
    super('bullmq', options);
    this.queue = queue;
  }

  // ------------------------------------------------------------------ identity

  /** The board's name for the queue: the adapter's `prefix` option (a grouping label), then the queue's name. */
  getName(): string {
    return `${this.prefix}${this.queue.name}`;
  }

  getQueueName(): string {
    return this.queue.name;
  }

  /** The Redis key prefix of the queue (`bull` unless set). */
  getQueuePrefix(): string {
    return this.queue.prefix;
  }

  /** `<prefix>:<queue>`: how flows name a parent's queue, so the board can walk up a flow. */
  getQueueQualifiedName(): string {
    return this.queue.qualifiedName;
  }

  /** The full Redis key of one of the queue's structures (`getQueueKey('completed')`). */
  getQueueKey(set: string): string {
    return this.queue.toKey(set);
  }

  getStatuses(): Status[] {
    return ['latest', ...JOB_STATUSES];
  }

  getJobStatuses(): JobStatus[] {
    return [...JOB_STATUSES];
  }

  // ------------------------------------------------------------------ connection

  async getClient(): Promise<RedisClient | null> {
    return this.queue.client;
  }

  async getRedisInfo(): Promise<string | null> {
    return (await this.queue.client).info();
  }

  /** Reads flows on the queue's own connection (made once; the connection stays the queue's). */
  async getFlowProducer(): Promise<FlowProducer | null> {
    this.flowProducer ??= new FlowProducer({ connection: await this.queue.client, prefix: this.queue.prefix });
    return this.flowProducer;
  }

  override async getWorkers(): Promise<QueueWorker[] | null> {
    return this.normalizeWorkers(await this.queue.getWorkers(), WORKER_NAME_SEPARATOR);
  }

  // ------------------------------------------------------------------ jobs

  async getJobCounts(): Promise<JobCounts> {
    // the default set: BullMQ 6's states, as the board's own BullMQ adapter counts them
    return (await this.queue.getJobCounts()) as JobCounts;
  }

  async getJobs(jobStatuses: JobStatus[], start?: number, end?: number): Promise<QueueJob[]> {
    const jobs = await boardCall(() => this.queue.getJobs(jobStatuses, start, end));
    return jobs.map((job) => boardJob(job) as unknown as QueueJob);
  }

  async getJob(id: string): Promise<QueueJob | undefined> {
    const job = await boardCall(() => this.queue.getJob(id));
    return job && (boardJob(job) as unknown as QueueJob);
  }

  async getJobLogs(id: string): Promise<string[]> {
    return (await boardCall(() => this.queue.getJobLogs(id))).logs;
  }

  async addJob(name: string, data: any, options: QueueJobOptions): Promise<QueueJob> {
    const job = await boardCall(() => this.queue.add(name, data, options));
    return boardJob(job) as unknown as QueueJob;
  }

  async getMetrics(type: MetricsType, start?: number, end?: number): Promise<QueueMetrics> {
    return boardCall(() => this.queue.getMetrics(type, start, end));
  }

  /** Removes every job of one state older than `graceTimeMs`. */
  async clean(queueStatus: JobCleanStatus, graceTimeMs: number): Promise<void> {
    // limit 0: all of them
    await boardCall(() => this.queue.clean(graceTimeMs, 0, queueStatus));
  }

  async promoteAll(): Promise<void> {
    await boardCall(() => this.queue.promoteJobs());
  }

  override async getArmedJobSchedulerId(job: QueueJob): Promise<string | null> {
    return armedSchedulerOf(this.queue, job as unknown as { id?: string; repeatJobKey?: string });
  }

  // ------------------------------------------------------------------ the queue

  async isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }

  async pause(): Promise<void> {
    await this.queue.pause();
  }

  async resume(): Promise<void> {
    await this.queue.resume();
  }

  /** Removes the jobs waiting to run (waiting and prioritized); delayed, active and finished ones stay. */
  async empty(): Promise<void> {
    await this.queue.drain();
  }

  async obliterate({ force = false }: ObliterateOptions = {}): Promise<void> {
    await boardCall(() => this.queue.obliterate({ force }));
  }

  override getQueueDefaultJobOptions(): QueueDefaultJobOptions {
    return { ...this.queue.defaultJobOptions } as QueueDefaultJobOptions;
  }

  // ------------------------------------------------------------------ global concurrency and rate limit

  async getGlobalConcurrency(): Promise<number | null> {
    return this.queue.getGlobalConcurrency();
  }

  /** 0 removes the limit: the board's dialog offers it so ("Set to 0 to remove the limit"). */
  async setGlobalConcurrency(concurrency: number): Promise<void> {
    if (concurrency === 0) await this.queue.removeGlobalConcurrency();
    else await boardCall(() => this.queue.setGlobalConcurrency(concurrency));
  }

  override get supportsGlobalRateLimit(): boolean {
    return true;
  }

  override async getConfiguredRateLimit(): Promise<QueueRateLimit | null> {
    return this.queue.getGlobalRateLimit();
  }

  override async setConfiguredRateLimit({ max, duration }: QueueRateLimit): Promise<void> {
    await boardCall(() => this.queue.setGlobalRateLimit(max, duration));
  }

  override async removeConfiguredRateLimit(): Promise<void> {
    await this.queue.removeGlobalRateLimit();
  }

  /** Ms left of the rate limit window that holds the workers back now; 0 when none does. */
  override async getActiveRateLimitTtl(): Promise<number> {
    return Math.max(0, await this.queue.getRateLimitTtl());
  }

  override async releaseActiveRateLimit(): Promise<void> {
    await this.queue.removeRateLimitKey();
  }

  // ------------------------------------------------------------------ job schedulers

  async getJobSchedulers(): Promise<SchedulerView[]> {
    return listSchedulers(this.queue);
  }

  async getJobSchedulersCount(): Promise<number> {
    return this.queue.getJobSchedulersCount();
  }

  async removeJobScheduler(id: string): Promise<boolean> {
    return boardCall(() => this.queue.removeJobScheduler(id));
  }

  override get supportsJobSchedulerUpdate(): boolean {
    return true;
  }

  async updateJobScheduler(id: string, repeat: JobSchedulerRepeatOptions): Promise<JobSchedulerUpdateResult> {
    return updateSchedule(this.queue, id, repeat);
  }

  override get supportsJobSchedulerRun(): boolean {
    return true;
  }

  async runJobSchedulerNow(id: string): Promise<QueueJob | 'not-found'> {
    const job = await runSchedulerNow(this.queue, id);
    return job === 'not-found' ? job : (boardJob(job) as unknown as QueueJob);
  }
}
