/**
 * The one add path: Queue.add, Queue.addBulk, Job.create and Job.createBulk all end here. Every job
 * is checked and encoded before anything reaches Redis; then one addJobs.lua call writes all of
 * them or none (wire-format §7.1), or, for a single add on a target that batches, the job joins
 * the other single adds of the same tick in one call where each job succeeds or fails on its own
 * (add-batcher.ts).
 */
import { checkParentSlot } from '../connection/cluster.js';
import { ConveyorValidationError, scriptError } from '../core/errors.js';
import { checkCustomJobId, serializeData, validateJobOptions } from '../core/job-options-validation.js';
import type { JobsOptions } from '../core/job-options.js';
import type { QueueKeys } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { normalizeBackoff } from '../core/stored-options.js';
import type { JobHost } from './host.js';
import { JobIdReserve } from './ids.js';
import type { Job } from './job.js';
import { jobPayload, linkParent, type JobPayload, type ParentReference } from './payload.js';

/** One job to add: what addBulk, Job.createBulk and the add path take. */
export interface NewJob<DataType = any, NameType extends string = string> {
  name: NameType;
  data: DataType;
  opts?: JobsOptions;
}

/** How an add differs between Queue.add, Queue.addBulk and Job.create / Job.createBulk. */
export interface AddMode {
  /** Merge the queue's defaultJobOptions and emit `waiting` on it (Queue.add / addBulk). */
  asQueue: boolean;
  /** Queue.add: BullMQ refuses the custom ids "0" and "0:..." there only. */
  single: boolean;
  /** The Queue or Worker the returned jobs belong to (the queue itself when not set). */
  host?: JobHost;
  /** One job that may travel with the other single adds of its tick (Queue.add, Job.create). */
  batch?: boolean;
}

/**
 * The queue's add path, under a symbol: Job.create reaches it without the Queue class showing a
 * method BullMQ's has not.
 */
export const ADD_JOBS = Symbol('conveyor.addJobs');

export interface JobAdder extends JobHost {
  [ADD_JOBS](jobs: NewJob[], mode: AddMode): Promise<Job[]>;
}

export function isAdder(host: unknown): host is JobAdder {
  return typeof (host as Partial<JobAdder> | null)?.[ADD_JOBS] === 'function';
}

/** What the add path needs of the queue it writes to: a Queue's (queue.ts), or a bare one. */
export interface AddTarget {
  /** What the added jobs belong to, unless the mode names another host. */
  readonly host: JobHost;
  readonly keys: QueueKeys;
  /** The command connection as it stands: a parent in a cluster must be in the queue's slot. */
  readonly connection: unknown;
  readonly defaultJobOptions: JobsOptions;
  readonly strictJobOptions?: boolean;
  readonly customBackoffTypes?: readonly string[];
  /** Ids for jobs added without a jobId, reserved before the add so a resent add stays one job. */
  readonly ids: JobIdReserve;
  /** Settles once the add may be sent (a Queue: its connection is ready and its meta written). */
  ready(): Promise<void>;
  exec(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** Batches single adds and keeps every add in call order (add-batcher.ts); absent: each call alone. */
  batches?: AddSender;
}

/** What sends a target's adds when it batches them (add-batcher.ts). */
export interface AddSender {
  /** A single add, together with the others of its tick: resolves with its job, or rejects alone. */
  add(job: PreparedJob): Promise<AddedJob>;
  /** An all-or-nothing add, after the adds made before it: resolves with addJobs.lua's reply. */
  bulk(jobs: PreparedJob[]): Promise<unknown>;
}

/** A job the add path wrote: what its Job is made of (`addedJob` in job.ts). */
export interface AddedJob {
  host: JobHost;
  name: string;
  data: unknown;
  opts: JobsOptions;
  timestamp: number;
  id: string;
  repeatJobKey?: string;
  parentKey?: string;
  parent?: ParentReference;
}

/** A job checked and encoded for the add script, and what its Job is made of once written. */
export interface PreparedJob {
  payload: JobPayload;
  added: Omit<AddedJob, 'id'>;
}

/** Adds `jobs` to `target`: all or none (a single add that batches: on its own, add-batcher.ts). */
export async function addJobs(target: AddTarget, jobs: NewJob[], mode: AddMode): Promise<AddedJob[]> {
  // validate and encode everything first: nothing reaches Redis if any job is bad
  const prepared = jobs.map((job) => prepare(target, job, mode));
  const { batches } = target;
  if (batches && mode.batch && prepared.length === 1) return [await batches.add(prepared[0])];
  let result: unknown;
  if (batches) result = await batches.bulk(prepared);
  else {
    await reserveIds(target, prepared);
    result = await target.exec('addJobs', [target.keys.meta], [target.keys.base, JSON.stringify(prepared.map((p) => p.payload))]);
  }
  if (Array.isArray(result) && typeof result[0] === 'number') {
    // { code, i }: the i-th job (1-based) was refused, and nothing was written
    const { payload } = prepared[Number(result[1]) - 1] ?? prepared[0];
    throw scriptError(Number(result[0]), payload.id, 'addJob', undefined, payload.parentKey);
  }
  const ids = result as string[];
  return prepared.map(({ added }, i) => ({ ...added, id: ids[i] }));
}

/**
 * Once the target is ready, gives each job its value of the counter: every add takes one, as each
 * of BullMQ's adds INCRs it, and a job without a jobId gets it as its id (ids.ts says why before
 * the add is sent).
 */
export async function reserveIds(target: AddTarget, prepared: PreparedJob[]): Promise<void> {
  await target.ready();
  const reserved = await target.ids.take(prepared.length);
  prepared.forEach((p, i) => {
    p.payload.id ??= reserved[i];
    p.payload.rid = 1;
  });
}

/**
 * Checks one job as BullMQ does, in its order (plus Conveyor's checks with strictJobOptions),
 * and encodes it for the add script. Throws before anything reaches Redis.
 */
function prepare(target: AddTarget, input: NewJob, mode: AddMode): PreparedJob {
  if (typeof input !== 'object' || input === null) {
    throw new ConveyorValidationError(`each job to add must be { name, data, opts }, got ${show(input)}`);
  }
  const { name, data, opts } = input;
  const strict = target.strictJobOptions === true;
  // BullMQ's Queue.add checks this before anything else
  if (mode.single && typeof opts === 'object' && opts !== null) checkCustomJobId(opts.jobId, true);
  // BullMQ stores a number as its text; anything else fails in its script
  if (typeof name !== 'string' && !(typeof name === 'number' && Number.isFinite(name) && !strict)) {
    throw new ConveyorValidationError(`job name must be a string, got ${show(name)}`);
  }
  const merged: JobsOptions = mode.asQueue ? { ...target.defaultJobOptions, ...(opts ?? {}) } : { ...(opts ?? {}) };
  const json = serializeData(data, name, merged.sizeLimit, strict);
  validateJobOptions(merged, target.customBackoffTypes, { strict, single: mode.single });
  // BullMQ stores the scheduler key as the rjk field, not among the options
  const repeatJobKey = merged.repeatJobKey;
  const stored = repeatJobKey === undefined ? merged : { ...merged, repeatJobKey: undefined };
  const timestamp = merged.timestamp && Number.isFinite(Number(merged.timestamp)) ? Number(merged.timestamp) : Date.now();
  const jobOpts: JobsOptions = { attempts: 0, ...stored };
  // as BullMQ keeps them in memory: a delay in ms becomes { type: 'fixed', delay }, null none
  if (typeof jobOpts.backoff === 'number' || jobOpts.backoff === null) jobOpts.backoff = normalizeBackoff(jobOpts.backoff ?? undefined);
  const added: Omit<AddedJob, 'id'> = { host: mode.host ?? target.host, name, data, opts: jobOpts, timestamp };
  const payload = jobPayload(String(name), json, merged, stored, timestamp);
  if (typeof merged.jobId === 'string' && merged.jobId !== '') payload.id = merged.jobId;
  if (repeatJobKey !== undefined && repeatJobKey !== null) payload.rjk = added.repeatJobKey = String(repeatJobKey);
  if (merged.parent) {
    const parentRef = merged.parent as Partial<JobsOptions['parent'] & object>;
    const parentKey = `${parentRef.queue}:${parentRef.id}`;
    // BullMQ's script looks such a key up and finds nothing; the text is its, and the key (which
    // may lie outside every queue an ACL user may touch) is never sent
    if (typeof parentRef.queue !== 'string' || parentRef.id === undefined || parentRef.id === null) {
      throw new ConveyorValidationError(
        `Missing key for parent job ${parentKey}. addJob (parent must be { id, queue: '<prefix>:<queue>' }, got ${show(merged.parent)})`,
      );
    }
    checkParentSlot(target.connection, target.keys.base, parentRef.queue);
    added.parent = linkParent(payload, merged.parent, merged);
    added.parentKey = payload.parentKey;
  }
  return { payload, added };
}

function isHost(host: unknown): host is JobHost {
  const h = host as Partial<JobHost> | null;
  return typeof h === 'object' && h !== null && typeof h.name === 'string' && typeof h.keys?.base === 'string' && 'client' in h;
}

/**
 * Job.create / Job.createBulk with a host that is no Queue (BullMQ's Job.create takes any
 * queue-like object, a Worker say): the add path on the host's connection and keys, without a
 * queue's default options, and the jobs belong to the host.
 */
export async function addThroughHost(host: JobHost, jobs: NewJob[]): Promise<AddedJob[]> {
  if (!isHost(host)) {
    throw new TypeError('Job.create needs the Queue (or Worker) the job goes to as its first argument');
  }
  const client = await host.client;
  const target: AddTarget = {
    host,
    keys: host.keys,
    connection: client,
    defaultJobOptions: {},
    ids: new JobIdReserve(async (count) => Number(await client.incrby(host.keys.id, count))),
    ready: async () => undefined,
    exec: (script, keys, args) => runScript(client, script, keys, args),
  };
  return addJobs(target, jobs, { asQueue: false, single: false });
}
