import type { Job, JobHost } from './job.js';
import type { JobsOptions } from '../core/job-options.js';

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
}

/**
 * The queue's add path, under a symbol: Job.create reaches it without the Queue class showing a
 * method BullMQ's has not.
 */
export const ADD_JOBS = Symbol('conveyor.addJobs');

export interface JobAdder extends JobHost {
  [ADD_JOBS](jobs: NewJob[], mode: AddMode): Promise<Job[]>;
}

function isAdder(host: unknown): host is JobAdder {
  return typeof (host as Partial<JobAdder> | null)?.[ADD_JOBS] === 'function';
}

function isHost(host: unknown): host is JobHost {
  const h = host as Partial<JobHost> | null;
  return typeof h === 'object' && h !== null && typeof h.name === 'string' && typeof h.keys?.base === 'string' && 'client' in h;
}

/**
 * Job.create / Job.createBulk: the jobs go through the add path of the Queue they are handed. A
 * Worker (BullMQ's Job.create takes any queue-like object) lends its connection to a Queue made
 * for the call, and the jobs belong to the Worker.
 */
export async function addThroughQueue<T, R, N extends string>(host: JobHost, jobs: NewJob<T, N>[]): Promise<Job<T, R, N>[]> {
  if (isAdder(host)) return (await host[ADD_JOBS](jobs, { asQueue: false, single: false })) as Job<T, R, N>[];
  if (!isHost(host)) {
    throw new TypeError('Job.create needs the Queue (or Worker) the job goes to as its first argument');
  }
  // imported here: queue.ts imports job.ts, which imports this file
  const { Queue } = await import('../queue/queue.js');
  const client = await host.client;
  const queue = new Queue(host.name, { connection: client, prefix: host.keys.prefix, skipMetasUpdate: true });
  try {
    return (await queue[ADD_JOBS](jobs, { asQueue: false, single: false, host })) as Job<T, R, N>[];
  } finally {
    await queue.close();
  }
}
