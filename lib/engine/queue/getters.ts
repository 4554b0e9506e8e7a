import { listClients, type ClientInfo } from '../connection/clients.js';
import { QueueBase } from '../connection/queue-base.js';
import { MAX_PRIORITY } from '../core/defaults.js';
import { ConveyorValidationError } from '../core/errors.js';
import { QUEUE_KEY, type QueueKeySuffix } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import type { JobState } from '../job/job-states.js';
import { Job } from '../job/job.js';
import { readMetrics, type Metrics, type MetricsType } from '../job/metrics.js';
import { readDependencies, type QueueDependencies } from './dependencies.js';
import { readMeta, type QueueMeta } from './meta.js';
import { exportPrometheus } from './prometheus.js';

/**
 * The states a getter can be asked about. `waiting` and `wait` both mean the `wait` list;
 * `paused` is the legacy v5 list (v6 keeps paused jobs in `wait`).
 */
export type JobType = 'active' | 'completed' | 'delayed' | 'failed' | 'prioritized' | 'waiting' | 'wait' | 'waiting-children' | 'paused';

/** BullMQ 6's default set for getJobCounts / getJobs (no legacy `paused`). */
export const DEFAULT_JOB_TYPES: readonly JobType[] = [
  'active',
  'completed',
  'delayed',
  'failed',
  'prioritized',
  'waiting',
  'waiting-children',
];

/** What Queue#count counts: jobs that are still to be processed (checked against bullmq 6.7). */
const TO_BE_PROCESSED: readonly JobType[] = ['waiting', 'delayed', 'prioritized', 'waiting-children'];

/** The key (suffix) that holds each type's jobs. */
const KEY_SUFFIX: Record<JobType, QueueKeySuffix> = {
  active: QUEUE_KEY.active,
  completed: QUEUE_KEY.completed,
  delayed: QUEUE_KEY.delayed,
  failed: QUEUE_KEY.failed,
  prioritized: QUEUE_KEY.prioritized,
  waiting: QUEUE_KEY.wait,
  wait: QUEUE_KEY.wait,
  'waiting-children': QUEUE_KEY.waitingChildren,
  paused: QUEUE_KEY.paused,
};

/** Validates a `types` argument (one type or a list); none means the default set. */
export function checkJobTypes(name: string, types: unknown): JobType[] {
  if (types === undefined) return [...DEFAULT_JOB_TYPES];
  const list = typeof types === 'string' ? [types] : types;
  if (!Array.isArray(list)) {
    throw new ConveyorValidationError(`${name} must be a job type or an array of job types, got ${show(types)}`);
  }
  for (const type of list) {
    if (typeof type !== 'string' || !(type in KEY_SUFFIX)) {
      throw new ConveyorValidationError(
        `${name} must contain only ${Object.keys(KEY_SUFFIX)
          .map((t) => `'${t}'`)
          .join(', ')}; got ${show(type)}`,
      );
    }
  }
  return list.length === 0 ? [...DEFAULT_JOB_TYPES] : [...new Set(list as JobType[])];
}

/**
 * Integer indexes, as Redis ranges take them: from 0 at the end being read first, negative ones
 * from the other end (-1 = the last), and out-of-range ones clipped (BullMQ passes them through).
 */
export function checkRange(start: unknown, end: unknown): void {
  checkInteger('start', start, Number.MIN_SAFE_INTEGER);
  checkInteger('end', end, Number.MIN_SAFE_INTEGER);
}

function checkAsc(asc: unknown): asserts asc is boolean {
  if (typeof asc !== 'boolean') throw new ConveyorValidationError(`asc must be a boolean, got ${show(asc)}`);
}

export function checkJobIdArg(jobId: unknown): asserts jobId is string {
  if (typeof jobId !== 'string' || jobId.length === 0) {
    throw new ConveyorValidationError(`jobId must be a non-empty string, got ${show(jobId)}`);
  }
}

const suffixesOf = (types: JobType[]) => [...new Set(types.map((t) => KEY_SUFFIX[t]))];

/**
 * Read-only views of a queue, named and shaped as BullMQ's QueueGetters. Lists and zsets are read
 * in one script call per getter, so counts and pages are consistent snapshots.
 */
export class QueueGetters<DataType = any, ResultType = any, NameType extends string = string> extends QueueBase {
  /** Reads a job by id; undefined when it does not exist. */
  async getJob(jobId: string): Promise<Job<DataType, ResultType, NameType> | undefined> {
    return Job.fromId<DataType, ResultType, NameType>(this, jobId);
  }

  /**
   * Jobs in the given states, `start`..`end` of each state. Descending (default) = newest first;
   * ascending = oldest (or lowest score) first. A job listed in two states is returned once. An id
   * whose job hash is gone is left out and, in a page counted from the start (start and end >= 0),
   * the page is filled up with the jobs that follow it, as BullMQ does.
   */
  async getJobs(types?: JobType | JobType[], start = 0, end = -1, asc = false): Promise<Job<DataType, ResultType, NameType>[]> {
    const suffixes = suffixesOf(checkJobTypes('types', types));
    checkRange(start, end);
    checkAsc(asc);
    const pages = await this.readRanges(suffixes, start, end, asc);
    const hashes = new Map<string, Record<string, string> | null>();
    await this.readHashes(pages.flat(), hashes);
    // as bullmq 6.7: only a page counted from the start (start and end >= 0) is filled up
    if (start >= 0 && end >= 0) await this.backfill(suffixes, pages, end, asc, hashes);
    const jobs: Job<DataType, ResultType, NameType>[] = [];
    const seen = new Set<string>();
    for (const id of pages.flat()) {
      const hash = hashes.get(id);
      if (!hash || seen.has(id)) continue;
      seen.add(id);
      jobs.push(Job.fromHash(this, hash, id));
    }
    return jobs;
  }

  /** The ids of getJobs(types, start, end, asc), read at one instant, without their jobs. */
  async getRanges(types: JobType[], start = 0, end = -1, asc = false): Promise<string[]> {
    const suffixes = suffixesOf(checkJobTypes('types', types));
    checkRange(start, end);
    checkAsc(asc);
    return [...new Set((await this.readRanges(suffixes, start, end, asc)).flat())];
  }

  private async readRanges(suffixes: string[], start: number, end: number, asc: boolean): Promise<string[][]> {
    return (await this.exec('getRanges', [this.keys.meta], [this.keys.base, start, end, asc ? 1 : 0, ...suffixes])) as string[][];
  }

  /** Reads the hashes of the ids not read yet; a missing job is recorded as null. */
  private async readHashes(ids: string[], into: Map<string, Record<string, string> | null>): Promise<void> {
    const fresh = [...new Set(ids)].filter((id) => !into.has(id));
    if (fresh.length === 0) return;
    const pipeline = (await this.client).pipeline();
    for (const id of fresh) pipeline.hgetall(this.keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, hash], i) => {
      if (err) throw err;
      const h = hash as Record<string, string> | null;
      into.set(fresh[i], h && Object.keys(h).length > 0 ? h : null);
    });
  }

  /**
   * Tops up each state's page with the ids after `end` while some of its jobs are gone (removed
   * between the two reads, or hashes lost): one more range read per round, until the page is full
   * or the state has nothing more.
   */
  private async backfill(
    suffixes: string[],
    pages: string[][],
    end: number,
    asc: boolean,
    hashes: Map<string, Record<string, string> | null>,
  ): Promise<void> {
    const gone = (ids: string[]) => ids.filter((id) => hashes.get(id) === null).length;
    await Promise.all(
      suffixes.map(async (suffix, i) => {
        let from = end + 1;
        for (let wanted = gone(pages[i]); wanted > 0;) {
          const [more] = await this.readRanges([suffix], from, from + wanted - 1, asc);
          await this.readHashes(more, hashes);
          pages[i].push(...more);
          if (more.length < wanted) return;
          from += wanted;
          wanted = gone(more);
        }
      }),
    );
  }

  /** Counts per state, keyed as asked (`getJobCounts('wait')` gives `{ wait: n }`). */
  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const list = checkJobTypes('types', types);
    const counts = (await this.exec('getCounts', [this.keys.meta], [this.keys.base, ...list.map((t) => KEY_SUFFIX[t])])) as number[];
    return Object.fromEntries(list.map((type, i) => [type, Number(counts[i])]));
  }

  /** The number of jobs in all the given states together (`wait` and `waiting` count once). */
  async getJobCountByTypes(...types: JobType[]): Promise<number> {
    const suffixes = suffixesOf(checkJobTypes('types', types));
    const counts = (await this.exec('getCounts', [this.keys.meta], [this.keys.base, ...suffixes])) as number[];
    return counts.reduce((sum, n) => sum + Number(n), 0);
  }

  /** Jobs still to be processed: waiting, delayed, prioritized and waiting-children. */
  async count(): Promise<number> {
    return this.getJobCountByTypes(...TO_BE_PROCESSED);
  }

  // BullMQ's per-state getters read oldest first, except completed and failed (newest first).
  getWaiting(start = 0, end = -1) {
    return this.getJobs('waiting', start, end, true);
  }
  getActive(start = 0, end = -1) {
    return this.getJobs('active', start, end, true);
  }
  getDelayed(start = 0, end = -1) {
    return this.getJobs('delayed', start, end, true);
  }
  getPrioritized(start = 0, end = -1) {
    return this.getJobs('prioritized', start, end, true);
  }
  getWaitingChildren(start = 0, end = -1) {
    return this.getJobs('waiting-children', start, end, true);
  }
  getCompleted(start = 0, end = -1) {
    return this.getJobs('completed', start, end, false);
  }
  getFailed(start = 0, end = -1) {
    return this.getJobs('failed', start, end, false);
  }

  getWaitingCount() {
    return this.getJobCountByTypes('waiting');
  }
  getActiveCount() {
    return this.getJobCountByTypes('active');
  }
  getPrioritizedCount() {
    return this.getJobCountByTypes('prioritized');
  }
  getWaitingChildrenCount() {
    return this.getJobCountByTypes('waiting-children');
  }
  getCompletedCount() {
    return this.getJobCountByTypes('completed');
  }
  getFailedCount() {
    return this.getJobCountByTypes('failed');
  }

  /**
   * Delayed jobs; with `timestamp` (ms), only those due strictly before it. The delayed score is
   * the due time times 0x1000 plus a counter (wire-format §4.1), so "before" is a score below
   * `timestamp * 0x1000`.
   */
  async getDelayedCount(timestamp?: number): Promise<number> {
    if (timestamp === undefined) return this.getJobCountByTypes('delayed');
    checkInteger('timestamp', timestamp, 0);
    return (await this.client).zcount(this.keys.delayed, '-inf', `(${timestamp * 0x1000}`);
  }

  /** Ready jobs per priority (0 = the `wait` list), keyed by the priority as a string. */
  async getCountsPerPriority(priorities: number[]): Promise<Record<string, number>> {
    if (!Array.isArray(priorities)) throw new ConveyorValidationError(`priorities must be an array of integers, got ${show(priorities)}`);
    priorities.forEach((p, i) => checkInteger(`priorities[${i}]`, p, 0, MAX_PRIORITY));
    const unique = [...new Set(priorities)];
    const counts = (await this.exec('getCountsPerPriority', [this.keys.meta], [this.keys.base, ...unique])) as number[];
    return Object.fromEntries(unique.map((p, i) => [String(p), Number(counts[i])]));
  }

  /** The state of a job; `unknown` when it is in none. */
  async getJobState(jobId: string): Promise<JobState> {
    checkJobIdArg(jobId);
    return (await this.exec('getState', [this.keys.meta], [this.keys.base, jobId])) as JobState;
  }

  /** A page of a job's log lines (oldest first unless `asc` is false) and how many it has. */
  async getJobLogs(jobId: string, start = 0, end = -1, asc = true): Promise<{ logs: string[]; count: number }> {
    checkJobIdArg(jobId);
    checkRange(start, end);
    checkAsc(asc);
    const logsKey = this.keys.jobSub(jobId, 'logs');
    const client = await this.client;
    const [[rangeErr, range], [countErr, count]] = (await client
      .multi()
      .lrange(logsKey, asc ? start : -(end + 1), asc ? end : -(start + 1))
      .llen(logsKey)
      .exec()) as [[Error | null, string[]], [Error | null, number]];
    if (rangeErr || countErr) throw rangeErr ?? countErr;
    return { logs: asc ? range : [...range].reverse(), count };
  }

  /**
   * Per-minute counts of completed or failed jobs, recorded by workers with `metrics` set: the
   * totals, data points `start`..`end` (newest first) and how many data points there are.
   */
  async getMetrics(type: MetricsType, start = 0, end = -1): Promise<Metrics> {
    return readMetrics(this, type, start, end);
  }

  /** Whether the queue is paused (meta `paused` exists, whoever paused it). */
  async isPaused(): Promise<boolean> {
    return (await (await this.client).hexists(this.keys.meta, 'paused')) === 1;
  }

  // ------------------------------------------------------------------------------ queue-wide views

  /** The queue's settings in Redis: global concurrency and rate limit, events cap, paused, version. */
  async getMeta(): Promise<QueueMeta> {
    return readMeta(await this.client, this.keys);
  }

  /**
   * Children `start`..`end` of a parent job in this queue: its `processed` ones with their return
   * values, or (any other type) its pending ones; each with its stored job data, and the total.
   */
  async getDependencies(parentId: string, type: 'processed' | 'pending', start: number, end: number): Promise<QueueDependencies> {
    return readDependencies(this, parentId, type, start, end);
  }

  /**
   * The workers connected to this queue, BullMQ's and Conveyor's alike (CLIENT LIST; a server that
   * does not let clients name themselves lists none): CLIENT LIST's fields per worker, `name` the
   * queue name and `rawname` the connection's name, which ends in `:w:<name>` for a named worker.
   */
  async getWorkers(): Promise<ClientInfo[]> {
    return listClients(await this.client, this.keys, 'worker');
  }

  async getWorkersCount(): Promise<number> {
    return (await this.getWorkers()).length;
  }

  /** The QueueEvents reading this queue, shaped as getWorkers'. @deprecated as in BullMQ. */
  async getQueueEvents(): Promise<ClientInfo[]> {
    return listClients(await this.client, this.keys, 'queueEvents');
  }

  /**
   * Job counts per state (a gauge) and the completed/failed totals recorded by workers with
   * `metrics` (counters), in Prometheus' text format; `globalVariables` become labels of every series.
   */
  async exportPrometheusMetrics(globalVariables?: Record<string, string>): Promise<string> {
    return exportPrometheus(this, globalVariables);
  }
}
