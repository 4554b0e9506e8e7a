// Compiled by `npm run typecheck`, never run: code written against bullmq 6.7's API the way its
// documentation writes it, importing from Conveyor instead. A public name, generic form, option or
// event signature that stops matching bullmq's fails the build here. The second half checks that
// bullmq's own declared types (from the bullmq devDependency) are accepted where Conveyor's are.
import path from 'node:path';
import type * as Bull from 'bullmq';
import { Redis } from 'ioredis';
import {
  ClientType,
  CONNECTION_CLOSED_ERROR_MSG,
  ConnectionClosedError,
  type DELAYED_ERROR,
  DelayedError,
  ErrorCode,
  FlowProducer,
  isNotConnectionError,
  isRedisCluster,
  isRedisInstance,
  type Job,
  lengthInUtf8Bytes,
  Queue,
  QueueEvents,
  RATE_LIMIT_ERROR,
  UNRECOVERABLE_ERROR,
  UnrecoverableError,
  WAITING_CHILDREN_ERROR,
  WAITING_ERROR,
  WaitingChildrenError,
  Worker,
  delay,
  getParentKey,
  randomUUID,
  removeAllQueueData,
  type AdvancedOptions,
  type BackoffOptions,
  type BackoffStrategy,
  type BaseJobOptions,
  type BulkJobOptions,
  type ClusterOptions,
  type CompressableJobOptions,
  type ConnectionOptions,
  type DatabaseType,
  type DeduplicationOptions,
  type DefaultJobOptions,
  type ExceptionType,
  type FinishedPropValAttribute,
  type FlowProducerOptions,
  type IoredisListener,
  type IRedisClient,
  type JobJson,
  type JobJsonSandbox,
  type JobsOptions,
  type KeepJobs,
  type KeyPrefixOptions,
  type MinimalJob,
  type MinimalQueue,
  type MoveToDelayedOpts,
  type MoveToWaitingChildrenOpts,
  type ObliterateOpts,
  type Parent,
  type ParentKeys,
  type ParentOptions,
  type Processor,
  type QueueBaseOptions,
  type QueueEventsOptions,
  type QueueOptions,
  type RateLimiterOptions,
  type RedisConnectionClient,
  type RedisOptions,
  type RedisQueueBackend,
  type RepeatBaseOptions,
  type RepeatableOptions,
  type RetryJobOpts,
  type RetryOptions,
  type SandboxedJob,
  type SandboxedJobProcessor,
  type SandboxedOptions,
  type WorkerListener,
  type WorkerOptions,
} from '../../lib/engine/index.js';
// the package root: its `Processor` and `QueueEventsListener` are the Nest decorators' names too
import type * as Root from '../../lib/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** A value of type `Given` can be used where `Wanted` is expected. */
type Accepts<Wanted, Given> = [Given] extends [Wanted] ? true : false;
function expectTrue<T extends true>(): T | void {}
function expectType<T>(_value: T): void {}

interface PaintData {
  color: string;
}
interface PaintResult {
  seconds: number;
}

const connection = { host: 'localhost', port: 6379 };

// ---------------------------------------------------------------------------------------------
// As bullmq's guide writes it

export async function queues(): Promise<void> {
  const queue = new Queue<PaintData, PaintResult, 'paint' | 'wash'>('Paint', { connection });
  const job = await queue.add(
    'paint',
    { color: 'red' },
    {
      delay: 1000,
      priority: 10,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
      deduplication: { id: 'red', ttl: 5000 },
    },
  );
  expectTrue<Equal<typeof job, Job<PaintData, PaintResult, 'paint' | 'wash'>>>();
  // @ts-expect-error: not one of the queue's job names
  await queue.add('dry', { color: 'red' });
  await queue.addBulk([{ name: 'wash', data: { color: 'blue' }, opts: { lifo: true } }]);

  // the first type parameter may be a Job type instead
  const jobTyped = new Queue<Job<PaintData, PaintResult, 'paint'>>('Paint', { connection });
  const added = await jobTyped.add('paint', { color: 'green' });
  expectTrue<Equal<typeof added.data, PaintData>>();
  expectTrue<Equal<typeof added.name, 'paint'>>();
  expectType<Queue<PaintData, PaintResult, 'paint', PaintData, PaintResult, 'paint', RedisQueueBackend, ConnectionOptions>>(
    new Queue<PaintData, PaintResult, 'paint'>('Paint'),
  );

  const defaults: DefaultJobOptions = { attempts: 5, removeOnComplete: true, removeOnFail: 1000 };
  new Queue('Paint', {
    connection,
    prefix: '{paint}',
    defaultJobOptions: defaults,
    streams: { events: { maxLen: 100 } },
    skipVersionCheck: true,
  });
  await queue.obliterate({ force: true, count: 500 } satisfies ObliterateOpts);
  await queue.close();
}

export function workers(): void {
  const worker = new Worker<PaintData, PaintResult, 'paint' | 'wash'>(
    'Paint',
    async (job, token, signal) => {
      await job.updateProgress(42);
      await job.log(`painting ${job.data.color} with ${token ?? 'no token'}`);
      if (signal?.aborted) throw new UnrecoverableError('cancelled');
      return { seconds: job.data.color.length };
    },
    {
      connection,
      concurrency: 50,
      limiter: { max: 10, duration: 1000 },
      removeOnComplete: { count: 100 },
      lockDuration: 60_000,
      settings: {
        backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) =>
          attemptsMade * 1000 + (job?.attemptsMade ?? 0),
      },
    },
  );
  worker.on('completed', (job, result, prev) => {
    expectTrue<Equal<typeof job, Job<PaintData, PaintResult, 'paint' | 'wash'>>>();
    expectTrue<Equal<typeof result, PaintResult>>();
    expectType<string>(prev);
  });
  worker.on('failed', (job, err) => {
    // bullmq: undefined when a stalled job failed and removeOnFail removed it
    expectTrue<Equal<typeof job, Job<PaintData, PaintResult, 'paint' | 'wash'> | undefined>>();
    expectType<string>(err.message);
  });
  worker.on('progress', (job, progress) => expectType<string | boolean | number | object>(progress));
  worker.on('error', (err) => expectType<Error>(err));
  worker.on('stalled', (jobId, prev) => expectType<[string, string]>([jobId, prev]));
  worker.on('lockRenewalFailed', (jobIds) => expectType<string[]>(jobIds));
  worker.on('locksRenewed', ({ count, jobIds }) => expectType<[number, string[]]>([count, jobIds]));
  worker.on('ioredis:close', () => {});
  worker.on('drained', () => {});

  // bullmq 6.7's progress type parameter comes after the backend's
  type Progress = { percentage: number; message: string };
  const typed = new Worker<PaintData, void, string, RedisQueueBackend, Progress>('Paint', null, { connection, autorun: false });
  typed.on('progress', (_job, progress) => expectType<number>(progress.percentage));

  // processors given as files run sandboxed
  new Worker('Paint', path.join(import.meta.dirname, 'processor.js'), { connection, useWorkerThreads: true });
  new Worker('Paint', new URL('./processor.js', import.meta.url), { connection, workerForkOptions: { serialization: 'advanced' } });

  const processor: Processor<PaintData, PaintResult> = async (job) => ({ seconds: job.data.color.length });
  new Worker('Paint', processor, { connection });
  const sandboxed: SandboxedJobProcessor<PaintData, PaintResult> = async (job: SandboxedJob<PaintData, PaintResult>) => ({
    seconds: job.data.color.length,
  });
  expectType<SandboxedJobProcessor>(sandboxed);
}

export async function events(queue: Queue<PaintData, PaintResult>): Promise<void> {
  const queueEvents = new QueueEvents('Paint', { connection, autorun: true, lastEventId: '0', blockingTimeout: 5000 });
  queueEvents.on('waiting', ({ jobId }) => expectType<string>(jobId));
  queueEvents.on('active', ({ jobId, prev }) => expectType<[string, string | undefined]>([jobId, prev]));
  queueEvents.on('completed', ({ jobId, returnvalue }) => expectType<[string, unknown]>([jobId, returnvalue]));
  queueEvents.on('failed', ({ jobId, failedReason }) => expectType<[string, string]>([jobId, failedReason]));
  queueEvents.on('progress', ({ jobId, data }, timestamp) => expectType<[string, unknown, string]>([jobId, data, timestamp]));
  const job = await queue.add('paint', { color: 'red' });
  expectType<PaintResult>(await job.waitUntilFinished(queueEvents, 30_000));
  await queueEvents.close();
}

export async function rootAliases(queueEvents: QueueEvents): Promise<void> {
  // as bullmq's events.test.ts types a listener of a custom return value
  queueEvents.once<Root.QueueEventsListener<PaintResult>, 'completed'>('completed', ({ jobId, returnvalue }) => {
    expectType<[string, PaintResult]>([jobId, returnvalue]);
  });
  type Progress = { percentage: number };
  const processor: Root.Processor<PaintData, PaintResult, 'paint', Progress> = async (job) => {
    await job.updateProgress({ percentage: 50 });
    // @ts-expect-error: not the processor's progress type
    await job.updateProgress(50);
    return { seconds: job.data.color.length };
  };
  expectTrue<Equal<Parameters<typeof processor>[0], Job<PaintData, PaintResult, 'paint', Progress>>>();
  expectTrue<Equal<Root.JobProgress, Bull.JobProgress>>();
}

export function jobs(job: Job<PaintData, PaintResult, 'paint'>): void {
  // a Job is a MinimalJob, so it goes where bullmq's own types want one (a backoff strategy's job)
  const minimal: MinimalJob<PaintData, PaintResult, 'paint'> = job;
  const bullMinimal: Bull.MinimalJob<PaintData, PaintResult, 'paint'> = job;
  expectType<[unknown, unknown]>([minimal, bullMinimal]);
  expectTrue<Equal<ReturnType<typeof job.asJSON>, JobJson>>();
  expectTrue<Equal<ReturnType<typeof job.asJSONSandbox>, JobJsonSandbox>>();
  expectTrue<Equal<typeof job.returnvalue, PaintResult>>();
  expectTrue<Equal<typeof job.failedReason, string>>();
}

export async function flows(): Promise<void> {
  const flowProducer = new FlowProducer({ connection });
  const tree = await flowProducer.add({
    name: 'renovate-interior',
    queueName: 'renovate',
    children: [
      { name: 'paint', data: { place: 'ceiling' }, queueName: 'steps' },
      { name: 'paint', data: { place: 'walls' }, queueName: 'steps', opts: { failParentOnFailure: true } },
    ],
  });
  expectType<Job>(tree.job);
  expectType<Job | undefined>(tree.children?.[0]?.job);
  await flowProducer.close();
}

export async function errorsAndHelpers(err: Error, anything: unknown): Promise<void> {
  if (anything === 'later') throw new DelayedError();
  expectTrue<Equal<typeof DELAYED_ERROR, 'bullmq:movedToDelayed'>>();
  expectType<string[]>([WAITING_ERROR, WAITING_CHILDREN_ERROR, RATE_LIMIT_ERROR, UNRECOVERABLE_ERROR, CONNECTION_CLOSED_ERROR_MSG]);
  new WaitingChildrenError();
  if (err instanceof ConnectionClosedError || !isNotConnectionError(err)) return;
  expectTrue<Equal<(typeof ErrorCode)['JobNotExist'], ErrorCode.JobNotExist>>();
  expectType<string>(ErrorCode[ErrorCode.JobLockMismatch]);
  expectType<ClientType>(ClientType.blocking);
  await delay(100);
  await delay(100, new AbortController());
  await removeAllQueueData(new Redis(connection), 'Paint', 'bull');
  if (isRedisInstance(anything)) expectType<(...args: any[]) => any>(anything.duplicate);
  if (isRedisCluster(anything)) expectType<true>(anything.isCluster);
  expectType<string | undefined>(getParentKey({ id: '1', queue: 'bull:Paint' }));
  expectType<number>(lengthInUtf8Bytes('ü'));
  expectType<string>(randomUUID());
}

export function connections(client: Bull.IRedisClient, cluster: import('ioredis').Cluster): void {
  // an ioredis client, bullmq's IRedisClient (createIORedisClient(redis)), options or a cluster
  new Queue('Paint', { connection: new Redis({ maxRetriesPerRequest: null }) });
  new Queue('Paint', { connection: client });
  new Worker('Paint', null, { connection: client, autorun: false });
  new QueueEvents('Paint', { connection: client });
  new FlowProducer({ connection: client });
  new Queue('Paint', { connection: cluster, prefix: '{bull}' });
  new Queue('Paint', { connection: { host: 'redis', port: 6380, db: 2, tls: {}, enableOfflineQueue: false } });
  const redisOptions: RedisOptions = { url: 'redis://localhost:6379', username: 'app', password: 'secret' };
  new Queue('Paint', { connection: redisOptions });
}

// ---------------------------------------------------------------------------------------------
// bullmq's declared types, accepted where Conveyor's are expected (code that mixes both compiles)

expectTrue<Accepts<QueueBaseOptions, Bull.QueueBaseOptions>>();
expectTrue<Accepts<QueueOptions, Bull.QueueOptions>>();
expectTrue<Accepts<WorkerOptions, Omit<Bull.WorkerOptions, 'settings'>>>();
expectTrue<Accepts<QueueEventsOptions, Bull.QueueEventsOptions>>();
expectTrue<Accepts<FlowProducerOptions, Bull.FlowProducerOptions>>();
expectTrue<Accepts<ConnectionOptions, Bull.ConnectionOptions>>();
expectTrue<Accepts<ConnectionOptions, Bull.IRedisClient>>();
expectTrue<Accepts<ConnectionOptions, Bull.RedisConnectionClient>>();
expectTrue<Accepts<RedisOptions, Bull.RedisOptions>>();
expectTrue<Accepts<ClusterOptions, Bull.ClusterOptions>>();
expectTrue<Accepts<RedisConnectionClient, Bull.RedisConnectionClient>>();
expectTrue<Accepts<IRedisClient, Bull.IRedisClient>>();
expectTrue<Accepts<Bull.IRedisClient, IRedisClient>>();
expectTrue<Accepts<JobsOptions, Bull.JobsOptions>>();
expectTrue<Accepts<Bull.JobsOptions, JobsOptions>>();
expectTrue<Accepts<BulkJobOptions, Bull.BulkJobOptions>>();
expectTrue<Accepts<DefaultJobOptions, Bull.DefaultJobOptions>>();
expectTrue<Accepts<BaseJobOptions, Bull.BaseJobOptions>>();
expectTrue<Accepts<CompressableJobOptions, Bull.CompressableJobOptions>>();
expectTrue<Accepts<BackoffOptions, Bull.BackoffOptions>>();
expectTrue<Accepts<DeduplicationOptions, Bull.DeduplicationOptions>>();
expectTrue<Accepts<ParentOptions, Bull.ParentOptions>>();
expectTrue<Equal<KeepJobs, Bull.KeepJobs>>();
expectTrue<Accepts<BackoffStrategy, Bull.BackoffStrategy>>();
expectTrue<Accepts<JobJson, Bull.JobJson>>();
expectTrue<Accepts<Bull.JobJson, JobJson>>();
expectTrue<Accepts<JobJsonSandbox, Bull.JobJsonSandbox>>();
expectTrue<Accepts<MinimalJob, Bull.MinimalJob>>();
expectTrue<Accepts<Bull.MinimalJob, MinimalJob>>();
expectTrue<Accepts<ParentKeys, Bull.ParentKeys>>();
expectTrue<Accepts<Bull.ParentKeys, ParentKeys>>();
expectTrue<Accepts<Parent<PaintData>, Bull.Parent<PaintData>>>();
expectTrue<Accepts<MoveToDelayedOpts, Bull.MoveToDelayedOpts>>();
expectTrue<Accepts<MoveToWaitingChildrenOpts, Bull.MoveToWaitingChildrenOpts>>();
expectTrue<Accepts<RetryJobOpts, Bull.RetryJobOpts>>();
expectTrue<Accepts<RetryOptions, Bull.RetryOptions>>();
expectTrue<Accepts<RateLimiterOptions, Bull.RateLimiterOptions>>();
expectTrue<Accepts<KeyPrefixOptions, Bull.KeyPrefixOptions>>();
expectTrue<Accepts<ObliterateOpts, Bull.ObliterateOpts>>();
expectTrue<Accepts<SandboxedOptions, Bull.SandboxedOptions>>();
expectTrue<Accepts<AdvancedOptions, Pick<Bull.AdvancedOptions, 'backoffStrategy'>>>();
expectTrue<Accepts<RepeatBaseOptions, Omit<Bull.RepeatBaseOptions, 'settings'>>>();
expectTrue<Equal<RepeatableOptions, Bull.RepeatableOptions>>();
expectTrue<Equal<DatabaseType, Bull.DatabaseType>>();
expectTrue<Equal<FinishedPropValAttribute, Bull.FinishedPropValAttribute>>();
expectTrue<Accepts<ExceptionType, Bull.ExceptionType>>();
expectTrue<Equal<keyof IoredisListener, keyof Bull.IoredisListener>>();
expectTrue<Equal<keyof WorkerListener, keyof Bull.WorkerListener>>();
expectTrue<Equal<keyof MinimalQueue, Exclude<keyof Bull.MinimalQueue, 'backend' | 'trace' | 'keys'>>>();
expectTrue<Equal<`${ClientType}`, `${Bull.ClientType}`>>();
