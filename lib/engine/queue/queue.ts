import { randomUUID } from 'node:crypto';
import type { RedisQueueBackend } from '../connection/backend.js';
import type { ConnectionOptions } from '../connection/connection.js';
import { DEFAULT_MAX_LEN_EVENTS } from '../core/defaults.js';
import { ConveyorValidationError } from '../core/errors.js';
import { validateJobOptions } from '../core/job-options-validation.js';
import type { JobsOptions } from '../core/job-options.js';
import { LEGACY_QUEUE_KEY } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import { LIBRARY_VERSION } from '../core/version.js';
import { batchingAdds } from '../job/add-batcher.js';
import { ADD_JOBS, addJobs, type AddMode, type AddTarget, type NewJob } from '../job/add-jobs.js';
import { JobIdReserve } from '../job/ids.js';
import type { JobProgress } from '../job/job-shapes.js';
import { addedJob, Job } from '../job/job.js';
import { storeJobProgress } from '../job/progress-and-logs.js';
import { removeJobById, type RemoveOptions } from '../job/remove.js';
import type { ExtractDataType, ExtractNameType, ExtractResultType } from '../job/type-params.js';
import { checkRepeatSettings, closeJobSchedulerOf, jobSchedulerOf, type JobScheduler } from '../scheduler/job-scheduler.js';
import { checkSchedulerId, type JobSchedulerJson, type JobSchedulerTemplate, type RepeatOptions } from '../scheduler/repeat-options.js';
import { tracedAdds } from '../telemetry/producers.js';
import { recordJobCounts, traceQueueCalls } from '../telemetry/queue.js';
import { checkTelemetry, Tracing } from '../telemetry/telemetry.js';
import {
  cleanQueue,
  drainQueue,
  obliterateQueue,
  pauseQueue,
  promoteQueueJobs,
  resumeQueue,
  retryQueueJobs,
  type CleanType,
  type ObliterateOptions,
  type PromoteJobsOptions,
  type RetryJobsOptions,
} from './admin.js';
import { QueueControls } from './controls.js';
import { checkJobIdArg, type JobType } from './getters.js';
import { checkOrphanArgs, removeOrphans } from './orphans.js';
import type { QueueOptions } from './queue-options.js';

export type BulkJob<DataType = any, NameType extends string = string> = NewJob<DataType, NameType>;

const QUEUE_ADD: AddMode = { asQueue: true, single: true, batch: true };
const QUEUE_ADD_BULK: AddMode = { asQueue: true, single: false };

function checkQueueOptions(opts: QueueOptions): void {
  const { customBackoffTypes, strictJobOptions } = opts;
  if (customBackoffTypes !== undefined && (!Array.isArray(customBackoffTypes) || customBackoffTypes.some((t) => typeof t !== 'string'))) {
    throw new ConveyorValidationError(`customBackoffTypes must be an array of strings, got ${show(customBackoffTypes)}`);
  }
  if (strictJobOptions !== undefined && typeof strictJobOptions !== 'boolean') {
    throw new ConveyorValidationError(`strictJobOptions must be a boolean, got ${show(strictJobOptions)}`);
  }
}

/**
 * Type parameters as bullmq 6.7's: the first is the job data type or a Job type (`Queue<MyData>`,
 * `Queue<MyData, MyResult, 'a' | 'b'>` or `Queue<Job<MyData, MyResult, 'a'>>`); DataType,
 * ResultType and NameType are derived from the first three. `B` (the backend) and
 * `ConnectionOptionsType` exist for bullmq's other backends; Conveyor runs on Redis only.
 */
export class Queue<
  DataTypeOrJob = any,
  DefaultResultType = any,
  DefaultNameType extends string = string,
  DataType = ExtractDataType<DataTypeOrJob, DataTypeOrJob>,
  ResultType = ExtractResultType<DataTypeOrJob, DefaultResultType>,
  NameType extends string = ExtractNameType<DataTypeOrJob, DefaultNameType>,
  B = RedisQueueBackend,
  ConnectionOptionsType = ConnectionOptions,
> extends QueueControls<DataType, ResultType, NameType> {
  readonly opts: QueueOptions;
  readonly defaultJobOptions: JobsOptions;
  private readonly metaWritten: Promise<void>;
  /** What the add path writes with: keys, connection, defaults, reserved ids, batched single adds. */
  private readonly addTarget: AddTarget;
  /** addJobs, inside a span when the queue has telemetry (chosen once: no tracing code otherwise). */
  private readonly insert: (jobs: BulkJob<DataType, NameType>[], bulk: boolean) => Promise<Job<DataType, ResultType, NameType>[]>;

  constructor(name: string, opts: QueueOptions = {}) {
    // before super() opens the connection, so a refusal leaves nothing open
    checkTelemetry(opts?.telemetry, 'Queue');
    checkRepeatSettings(opts?.settings);
    checkQueueOptions(opts ?? {});
    // BullMQ checks the defaults with each add's own options; strict checks them here already
    if (opts?.strictJobOptions) validateJobOptions(opts.defaultJobOptions, opts.customBackoffTypes, { strict: true });
    super(name, opts);
    this.opts = opts;
    this.defaultJobOptions = { ...(opts.defaultJobOptions ?? {}) };
    this.metaWritten = opts.skipMetasUpdate ? Promise.resolve() : this.writeMeta();
    this.addTarget = batchingAdds({
      host: this,
      keys: this.keys,
      connection: this.connection.client,
      defaultJobOptions: this.defaultJobOptions,
      // read at each add, as the options object says then
      get strictJobOptions() {
        return opts.strictJobOptions;
      },
      get customBackoffTypes() {
        return opts.customBackoffTypes;
      },
      ids: new JobIdReserve(async (count) => Number(await (await this.client).incrby(this.keys.id, count))),
      ready: () => this.ready(),
      exec: (script, keys, args) => this.exec(script, keys, args),
    });
    const add = (jobs: BulkJob<DataType, NameType>[]) => this.addJobs(jobs, QUEUE_ADD);
    const addBulk = (jobs: BulkJob<DataType, NameType>[]) => this.addJobs(jobs, QUEUE_ADD_BULK);
    const tracing = opts.telemetry && new Tracing(opts.telemetry, name);
    if (tracing) {
      const tracedAdd = tracedAdds(tracing, name, this.defaultJobOptions.telemetry, add);
      const tracedAddBulk = tracedAdds(tracing, name, this.defaultJobOptions.telemetry, addBulk);
      this.insert = (jobs, bulk) => (bulk ? tracedAddBulk : tracedAdd)(jobs, bulk);
      traceQueueCalls(this, tracing, (err) => this.emitError(err));
    } else {
      this.insert = (jobs, bulk) => (bulk ? addBulk : add)(jobs);
    }
  }

  private async writeMeta(): Promise<void> {
    try {
      const client = await this.client;
      await client.hset(
        this.keys.meta,
        'opts.maxLenEvents',
        this.opts.streams?.events?.maxLen ?? DEFAULT_MAX_LEN_EVENTS,
        'version',
        LIBRARY_VERSION,
      );
    } catch (err) {
      this.emitError(err);
    }
  }

  /**
   * The connection, then the meta write begun at construction. Both waits run side by side, so an
   * unreachable Redis costs one connect timeout, not two.
   */
  private async ready(): Promise<void> {
    await this.client;
    await this.metaWritten;
  }

  /** Adds a job; resolves once Redis has it. */
  async add(name: NameType, data: DataType, opts?: JobsOptions): Promise<Job<DataType, ResultType, NameType>> {
    const [job] = await this.insert([{ name, data, opts }], false);
    return job;
  }

  /** Adds several jobs atomically: all or none. */
  async addBulk(jobs: BulkJob<DataType, NameType>[]): Promise<Job<DataType, ResultType, NameType>[]> {
    if (!Array.isArray(jobs)) throw new ConveyorValidationError(`addBulk takes an array of { name, data, opts }, got ${show(jobs)}`);
    if (jobs.length === 0) return [];
    return this.insert(jobs, true);
  }

  /** The add path of Job.create / Job.createBulk (job/add-jobs.ts). */
  [ADD_JOBS](jobs: NewJob[], mode: AddMode): Promise<Job[]> {
    return this.addJobs(jobs as BulkJob<DataType, NameType>[], mode);
  }

  /** Queue.add, Queue.addBulk, Job.create and Job.createBulk all go the one add path (add-jobs.ts). */
  private async addJobs(jobs: BulkJob<DataType, NameType>[], mode: AddMode): Promise<Job<DataType, ResultType, NameType>[]> {
    return (await addJobs(this.addTarget, jobs, mode)).map((a) => {
      const job = addedJob<DataType, ResultType, NameType>(a);
      if (mode.asQueue) this.emit('waiting', job);
      return job;
    });
  }

  // ------------------------------------------------------------------ job schedulers (scheduler/job-scheduler.ts)

  /** The queue's JobScheduler (one, on the queue's connection); its errors reach the queue's 'error' listeners. */
  get jobScheduler(): Promise<JobScheduler> {
    return jobSchedulerOf(this);
  }

  /** Creates or updates a job scheduler; resolves with its next iteration (undefined if there is none). */
  async upsertJobScheduler(
    jobSchedulerId: NameType,
    repeatOpts: Omit<RepeatOptions, 'key'>,
    jobTemplate?: JobSchedulerTemplate<DataType, NameType>,
  ): Promise<Job<DataType, ResultType, NameType> | undefined> {
    const id = checkSchedulerId(jobSchedulerId);
    const t = templateOf(jobTemplate);
    // the queue's default job options go into the template, as BullMQ merges them
    const opts = { ...this.defaultJobOptions, ...(t.opts ?? {}) };
    await this.ready();
    return (await this.jobScheduler).upsertJobScheduler<DataType, ResultType, NameType>(
      id,
      repeatOpts,
      (t.name ?? id) as NameType,
      t.data as DataType,
      opts,
      { override: true },
    );
  }

  async getJobScheduler(id: string): Promise<JobSchedulerJson<DataType> | undefined> {
    checkSchedulerId(id);
    return (await this.jobScheduler).getScheduler<DataType>(id);
  }

  /** Schedulers ordered by their next iteration, latest first unless `asc`. */
  async getJobSchedulers(start = 0, end = -1, asc = false): Promise<JobSchedulerJson<DataType>[]> {
    return (await this.jobScheduler).getJobSchedulers<DataType>(start, end, asc);
  }

  async getJobSchedulersCount(): Promise<number> {
    return (await this.jobScheduler).getSchedulersCount();
  }

  /** Removes a scheduler and its pending delayed iteration; false when it did not exist. */
  async removeJobScheduler(jobSchedulerId: string): Promise<boolean> {
    checkSchedulerId(jobSchedulerId);
    return (await (await this.jobScheduler).removeJobScheduler(jobSchedulerId)) === 0;
  }

  /** Workers stop taking jobs (BullMQ 6: jobs stay in `wait`, adds keep going there). */
  async pause(): Promise<void> {
    return pauseQueue(this);
  }

  async resume(): Promise<void> {
    return resumeQueue(this);
  }

  /** Removes the jobs waiting to run (with `delayed`, delayed ones too); scheduler iterations stay. */
  async drain(delayed = false): Promise<void> {
    return drainQueue(this, delayed);
  }

  /**
   * Removes up to `limit` (0 = all) jobs of one state that are older than `grace` ms; resolves with
   * their ids and emits `cleaned` (ids, type).
   */
  async clean(grace: number, limit: number, type: CleanType = 'completed'): Promise<string[]> {
    return cleanQueue(this, grace, limit, type);
  }

  /** Deletes the queue with all its jobs; rejects while jobs are active unless `force`. */
  async obliterate(opts?: ObliterateOptions): Promise<void> {
    await this.ready();
    return obliterateQueue(this, opts);
  }

  /** 1 when the job is gone (or never existed), 0 when a worker holds it (or one of its children). */
  async remove(jobId: string, opts?: RemoveOptions): Promise<0 | 1> {
    checkJobIdArg(jobId);
    const removed = await removeJobById(await this.client, this.keys, jobId, opts);
    if (removed === 1) this.emit('removed', jobId);
    return removed;
  }

  /** Stores a job's progress by id and emits `progress` (jobId, progress), as BullMQ's. */
  async updateJobProgress(jobId: string, progress: JobProgress): Promise<void> {
    checkJobIdArg(jobId);
    await storeJobProgress(this, jobId, progress);
    this.emit('progress', jobId, progress);
  }

  /** Appends a log line to a job by id; with `keepLogs`, only the newest that many stay. */
  async addJobLog(jobId: string, logRow: string, keepLogs?: number): Promise<number> {
    return Job.addJobLog(this, jobId, logRow, keepLogs);
  }

  /** Moves failed (or completed) jobs back to wait. */
  async retryJobs(opts?: RetryJobsOptions): Promise<void> {
    return retryQueueJobs(this, opts);
  }

  /** Moves all delayed jobs to wait. */
  async promoteJobs(opts?: PromoteJobsOptions): Promise<void> {
    return promoteQueueJobs(this, opts);
  }

  /** Trims the events stream to about `maxLength` entries; resolves with the number removed. */
  async trimEvents(maxLength: number): Promise<number> {
    checkInteger('maxLength', maxLength, 0);
    return (await this.client).xtrim(this.keys.events, 'MAXLEN', '~', maxLength);
  }

  // ------------------------------------------------------------------ telemetry (telemetry/queue.ts)

  /**
   * The job counts per state, as getJobCounts gives them; with a telemetry meter each is also
   * recorded in the `bullmq.queue.jobs` gauge.
   */
  async recordJobCountsMetric(...types: JobType[]): Promise<Record<string, number>> {
    return recordJobCounts(this, this.opts.telemetry, types);
  }

  // ------------------------------------------------------------------ BullMQ 6.7 queue members (orphans.ts, meta.ts)

  /** A random id of this Queue object, as BullMQ's `queue.token`. */
  readonly token = randomUUID();

  /** The default job options (BullMQ's other name for defaultJobOptions). */
  get jobsOpts(): JobsOptions {
    return this.defaultJobOptions;
  }

  /** What the constructor writes to the meta hash (unless skipMetasUpdate). */
  get metaValues(): Record<string, string | number> {
    return { 'opts.maxLenEvents': this.opts.streams?.events?.maxLen ?? DEFAULT_MAX_LEN_EVENTS, version: LIBRARY_VERSION };
  }

  /** `<library>:<version>` of the last Queue that wrote the meta hash, or null. */
  async getVersion(): Promise<string | null> {
    await this.ready();
    return (await this.client).hget(this.keys.meta, 'version');
  }

  /** Deletes the `priority` key of pre-v5 BullMQ; resolves with the number of keys deleted. */
  async removeDeprecatedPriorityKey(): Promise<number> {
    return (await this.client).del(this.keys.key(LEGACY_QUEUE_KEY.priority));
  }

  /**
   * Removes job hashes (and their sub-keys) that no state of the queue holds, left behind by a
   * removal that missed them (BullMQ 5.66.6 to 5.x could, #3694). Scans `count` keys at a time and
   * stops after `limit` removals (0 = none left); resolves with how many it removed. Jobs in any
   * state, scheduler and deduplication keys and the queue's own keys are never touched.
   */
  async removeOrphanedJobs(count = 1000, limit = 0): Promise<number> {
    checkOrphanArgs(count, limit);
    return removeOrphans(await this.client, this.keys, count, limit);
  }

  /** Closes the queue's own connection (a client the user passed stays open). */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        await this.metaWritten;
        await closeJobSchedulerOf(this);
        await this.closeConnection();
      })();
    }
    return this.closing;
  }
}

/** The events a Queue emits, named and typed as BullMQ's QueueListener. */
export interface QueueListener<JobBase = Job> {
  cleaned: (jobs: string[], type: string) => void;
  error: (err: Error) => void;
  paused: () => void;
  progress: (jobId: string, progress: string | boolean | number | object) => void;
  removed: (jobId: string) => void;
  resumed: () => void;
  waiting: (job: JobBase) => void;
  /** The command connection dropped (it reconnects by itself). */
  'ioredis:close': () => void;
}

type QueueListenerOf<D, R, N extends string> = QueueListener<Job<D, R, N>>;

/** Listener types as BullMQ's; other names (as on any EventEmitter) take any listener. */
export interface Queue<
  DataTypeOrJob = any,
  DefaultResultType = any,
  DefaultNameType extends string = string,
  DataType = ExtractDataType<DataTypeOrJob, DataTypeOrJob>,
  ResultType = ExtractResultType<DataTypeOrJob, DefaultResultType>,
  NameType extends string = ExtractNameType<DataTypeOrJob, DefaultNameType>,
  B = RedisQueueBackend,
  ConnectionOptionsType = ConnectionOptions,
> {
  on<U extends keyof QueueListenerOf<DataType, ResultType, NameType>>(
    event: U,
    listener: QueueListenerOf<DataType, ResultType, NameType>[U],
  ): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<U extends keyof QueueListenerOf<DataType, ResultType, NameType>>(
    event: U,
    listener: QueueListenerOf<DataType, ResultType, NameType>[U],
  ): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  off<U extends keyof QueueListenerOf<DataType, ResultType, NameType>>(
    eventName: U,
    listener: QueueListenerOf<DataType, ResultType, NameType>[U],
  ): this;
  off(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** The template's parts; its shape is checked before anything else (its options with the job options). */
function templateOf<DataType, NameType extends string>(
  template: JobSchedulerTemplate<DataType, NameType> | undefined,
): JobSchedulerTemplate<DataType, NameType> {
  if (template === undefined || template === null) return {};
  if (typeof template !== 'object' || Array.isArray(template)) {
    throw new ConveyorValidationError(`job scheduler template must be an object { name, data, opts }, got ${show(template)}`);
  }
  if (template.opts !== undefined && template.opts !== null && (typeof template.opts !== 'object' || Array.isArray(template.opts))) {
    throw new ConveyorValidationError(`job scheduler template.opts must be an object, got ${show(template.opts)}`);
  }
  return template;
}
