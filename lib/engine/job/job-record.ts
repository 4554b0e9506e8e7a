import type { JobsOptions } from '../core/job-options.js';
import { parseJobKey } from '../core/keys.js';
import type { JobHost } from './host.js';
import type { JobJson, JobJsonSandbox, JobProgress } from './job-shapes.js';
import type { ParentReference } from './payload.js';

/**
 * What a job is: its fields as the job hash stores them (wire-format §2), where it lives, and its
 * JSON forms. Job (job.ts) adds what can be done to it in Redis.
 */
export class JobRecord<DataType = any, ReturnType = any, NameType extends string = string, ProgressType extends JobProgress = JobProgress> {
  id: string | undefined;
  name: NameType;
  data: DataType;
  opts: JobsOptions;
  progress: ProgressType = 0 as ProgressType;
  // typed as bullmq's Job and MinimalJob type them; as there, null and undefined until the job finishes
  returnvalue: ReturnType = null as ReturnType;
  failedReason!: string;
  stacktrace: string[] = [];
  attemptsMade = 0;
  attemptsStarted = 0;
  stalledCounter = 0;
  timestamp: number;
  processedOn: number | undefined;
  finishedOn: number | undefined;
  delay = 0;
  priority = 0;
  processedBy: string | undefined;
  parentKey: string | undefined;
  parent: ParentReference | undefined;
  repeatJobKey: string | undefined;
  deduplicationId: string | undefined;
  /** A deferred failure set by the stalled checker or a failed child ("defa"). */
  deferredFailure: string | undefined;
  /** The lock token while a worker holds the job. */
  token: string | undefined;
  #discarded = false;

  constructor(
    readonly queue: JobHost,
    name: NameType,
    data: DataType,
    opts: JobsOptions = {},
    id?: string,
  ) {
    this.name = name;
    this.data = data;
    this.opts = opts;
    this.id = id ?? opts.jobId;
    this.timestamp = opts.timestamp ?? Date.now();
    this.delay = opts.delay ?? 0;
    this.priority = opts.priority ?? 0;
    this.deduplicationId = opts.deduplication?.id;
  }

  get queueName(): string {
    return this.queue.name;
  }

  /** `<prefix>:<queue>`, as flows store it. */
  get queueQualifiedName(): string {
    return this.queue.keys.qualifiedName;
  }

  get prefix(): string {
    return this.queue.keys.prefix;
  }

  /** The job's Redis key. */
  get key(): string {
    return this.queue.keys.job(this.id ?? '');
  }

  /** The parent as `{ id, queueKey }`, from the `parent` field or else the `parentKey`. */
  get parentReference(): { id: string; queueKey: string } | undefined {
    if (this.parent) return { id: this.parent.id, queueKey: this.parent.queueKey };
    if (!this.parentKey) return undefined;
    const { queueKey, jobId } = parseJobKey(this.parentKey);
    return { id: jobId, queueKey };
  }

  /** No more retries for this job: its next failure is final, whatever attempts remain. */
  discard(): void {
    this.#discarded = true;
  }

  /** Whether discard() was called on this job object. */
  get discarded(): boolean {
    return this.#discarded;
  }

  /**
   * The job as BullMQ's `asJSON` gives it: data, failedReason, stacktrace and returnvalue as JSON
   * text, fields without a value left out.
   */
  asJSON(): JobJson {
    return withoutUndefined<JobJson>({
      id: this.id,
      name: this.name,
      data: JSON.stringify(this.data ?? {}),
      opts: this.opts,
      parent: this.parent ? { ...this.parent } : undefined,
      parentKey: this.parentKey,
      progress: this.progress,
      attemptsMade: this.attemptsMade,
      attemptsStarted: this.attemptsStarted,
      stalledCounter: this.stalledCounter,
      finishedOn: this.finishedOn,
      processedOn: this.processedOn,
      timestamp: this.timestamp,
      failedReason: JSON.stringify(this.failedReason),
      stacktrace: JSON.stringify(this.stacktrace),
      repeatJobKey: this.repeatJobKey,
      deduplicationId: this.deduplicationId,
      returnvalue: JSON.stringify(this.returnvalue),
      processedBy: this.processedBy,
      deferredFailure: this.deferredFailure,
    });
  }

  /** asJSON with the queue's name, qualified name and prefix (what a sandboxed processor gets). */
  asJSONSandbox(): JobJsonSandbox {
    return { ...this.asJSON(), queueName: this.queueName, queueQualifiedName: this.queueQualifiedName, prefix: this.prefix };
  }

  /** The job's own fields (the queue left out, so JSON.stringify(job) works), as BullMQ's toJSON. */
  toJSON(): Record<string, unknown> {
    const { queue: _queue, ...rest } = this as Record<string, unknown>;
    return { ...rest, queueQualifiedName: this.queueQualifiedName };
  }
}

/** `fields` with its undefined entries removed: the shape `T` describes, whose optional fields stay out. */
function withoutUndefined<T>(fields: Record<string, unknown>): T {
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields as T;
}
