import type { Job } from '../job/job.js';

/** The fields a sandboxed processor's job carries (plain data, as the worker read them). */
type JobFields =
  | 'id'
  | 'name'
  | 'data'
  | 'opts'
  | 'progress'
  | 'returnvalue'
  | 'failedReason'
  | 'stacktrace'
  | 'attemptsMade'
  | 'attemptsStarted'
  | 'stalledCounter'
  | 'timestamp'
  | 'processedOn'
  | 'finishedOn'
  | 'delay'
  | 'priority'
  | 'processedBy'
  | 'parentKey'
  | 'parent'
  | 'repeatJobKey'
  | 'deduplicationId';

/** The methods it can call: the worker runs them on its own Job and sends back the result. */
type JobMethods =
  | 'updateProgress'
  | 'log'
  | 'updateData'
  | 'moveToDelayed'
  | 'moveToWait'
  | 'moveToWaitingChildren'
  | 'getChildrenValues'
  | 'getIgnoredChildrenFailures'
  | 'getDependenciesCount'
  | 'getDependencies';

/** The job a processor file receives in its child process or worker thread. */
export type SandboxedJob<DataType = any, ReturnType = any, NameType extends string = string> = Pick<
  Job<DataType, ReturnType, NameType>,
  JobFields | JobMethods
> & {
  readonly queueName: string;
  /** `<prefix>:<queue>` */
  readonly queueQualifiedName: string;
  readonly prefix: string;
};

/** What a processor file exports (as its default export, or as module.exports). */
export type SandboxedProcessor<DataType = any, ResultType = any, NameType extends string = string> = (
  job: SandboxedJob<DataType, ResultType, NameType>,
  token?: string,
  signal?: AbortSignal,
) => Promise<ResultType> | ResultType;

/**
 * Job methods a child may ask for, in BullMQ's list; each is offered only if this engine's Job has
 * it. Nothing else (remove, retry...) can be run from a child.
 */
const PROXIED_METHODS = [
  'updateProgress',
  'log',
  'moveToDelayed',
  'moveToWait',
  'moveToWaitingChildren',
  'updateData',
  'getChildrenValues',
  'getIgnoredChildrenFailures',
  'getDependenciesCount',
  'getDependencies',
];

export function proxiedMethods(job: Job): string[] {
  return PROXIED_METHODS.filter((method) => typeof (job as unknown as Record<string, unknown>)[method] === 'function');
}

/** The job's fields as plain data for the child, with the queue's names a processor may read. */
export function plainJob(job: Job): Record<string, unknown> {
  return {
    ...(JSON.parse(JSON.stringify(job)) as Record<string, unknown>),
    queueName: job.queueName,
    queueQualifiedName: job.queueQualifiedName,
    prefix: job.prefix,
  };
}

/**
 * bullmq 6.7's type of a processor file's export. As in bullmq, the processor is called as
 * `(job, token, signal)`: the callback form the type also allows is not called with a callback.
 */
export type SandboxedJobProcessor<T = any, R = any> =
  ((job: SandboxedJob<T, R>) => R | PromiseLike<R>) | ((job: SandboxedJob<T, R>, callback: (error: unknown, result: R) => void) => void);
