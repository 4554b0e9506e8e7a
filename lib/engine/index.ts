// The engine's public API, every name exported explicitly: `nestjs-conveyor/engine` (no NestJS
// needed) and, re-exported, the package root. bullmq 6.7's names and shapes; Conveyor's own
// additions are named as such where they are declared.

// Classes
export { Queue } from './queue.js';
export type { BulkJob, QueueListener } from './queue.js';
export { JobScheduler } from './job-scheduler.js';
export type { JobSchedulerOptions, UpsertJobSchedulerMode } from './job-scheduler.js';
export type {
  AdvancedRepeatOptions,
  JobSchedulerJobOptions,
  JobSchedulerJson,
  JobSchedulerTemplate,
  JobSchedulerTemplateJson,
  JobSchedulerTemplateOptions,
  RepeatOptions,
  RepeatStrategy,
} from './job-scheduler-options.js';
export { defaultRepeatStrategy, getNextMillis } from './job-scheduler-time.js';
export {
  getLegacyRepeatableJobError,
  hasLegacyRepeatableKeyShape,
  isLegacyRepeatableJobKey,
  LEGACY_REPEATABLE_JOBS_MIGRATION_URL,
} from './job-scheduler-legacy.js';
export type { JobType } from './queue-getters.js';
export type {
  CleanType,
  FinishedStatus,
  ObliterateOptions,
  PromoteJobsOptions,
  RemoveOptions,
  RetryJobsOptions,
} from './queue-admin.js';
export { Worker, WORKER_DEFAULTS } from './worker/worker.js';
export type { GetNextJobOptions, Processor, WorkerCloseOptions, WorkerOptions } from './worker/worker.js';
export type { SandboxedJob, SandboxedProcessor } from './sandbox/sandboxed-job.js';
export type { SandboxOptions } from './sandbox/sandbox-options.js';
export type { SandboxedJobProcessor } from './interfaces/sandbox.js';
export { Job, PRIORITY_LIMIT } from './job.js';
export type { JobState, JobHost, JobProgress, ParentReference } from './job.js';
export type { JobJsonRaw, NextJobReply } from './job-moves.js';
export { FlowProducer, FLOW_DEFAULTS } from './flow-producer.js';
export type {
  FlowChildJob,
  FlowJob,
  FlowJobBase,
  FlowJobNode,
  FlowNestedLeafJob,
  FlowOpts,
  FlowParentJob,
  FlowProducerListener,
  FlowProducerOptions,
  FlowQueueOptions,
  FlowQueuesOpts,
  FlowRootLeafJob,
  FlowRootParentJob,
  JobNode,
  NodeOpts,
} from './flow-producer.js';
export type {
  Dependencies,
  DependenciesCount,
  DependenciesCountOpts,
  DependenciesOpts,
  DependencyOpts,
  DependencyPage,
} from './job-dependencies.js';
export { QueueEvents, QUEUE_EVENTS_DEFAULTS } from './queue-events.js';
export type { QueueEventsListener, QueueEventsOptions } from './queue-events.js';
export { QueueEventsProducer } from './queue-events-producer.js';
export type { QueueEventsProducerOptions } from './queue-events-producer.js';
export type { QueueMeta } from './queue-meta.js';
export type { QueueDependencies } from './queue-dependencies.js';
export { QUEUE_EVENT_SUFFIX } from './queue-workers.js';
export type { ClientInfo } from './queue-workers.js';

// Options, job shapes and listener types
export type { BackoffStrategy } from './backoff.js';
export type {
  BackoffOptions,
  DeduplicationOptions,
  JobsOptions,
  ParentOptions,
  QueueBaseOptions,
  QueueOptions,
} from './options.js';
export type { BaseJobOptions, CompressableJobOptions, DefaultJobOptions, KeepJobs } from './interfaces/job-options.js';
export type {
  BulkJobOptions,
  FinishedPropValAttribute,
  JobJson,
  JobJsonSandbox,
  MinimalJob,
  MoveToDelayedOpts,
  MoveToWaitingChildrenOpts,
  Parent,
  ParentKeyOpts,
  ParentKeys,
  RetryJobOpts,
  RetryOptions,
} from './interfaces/job.js';
export { ClientType } from './interfaces/queue-options.js';
export type {
  AdvancedOptions,
  DatabaseType,
  KeyPrefixOptions,
  MinimalQueue,
  ObliterateOpts,
  RateLimiterOptions,
  RedisKeyPrefixOptions,
  RedisQueueBackend,
  RepeatableOptions,
  RepeatBaseOptions,
  SandboxedOptions,
} from './interfaces/queue-options.js';
export type { IoredisListener, WorkerListener } from './interfaces/listeners.js';

// Connections
export type { ConnectionOptions, RedisClient, UrlConnectionOptions } from './connection.js';
export type { ClusterConnectionOptions } from './cluster.js';
export type { IRedisClient, IRedisTransaction } from './interfaces/redis-client.js';
export type { BaseOptions, ClusterOptions, RedisConnectionClient, RedisOptions } from './interfaces/redis-options.js';
export { ACL_COMMANDS, aclRulesFor } from './acl.js';
export { EVICTION_POLICY_WARNING } from './eviction-policy.js';

// Metrics and telemetry
export { MetricsTime } from './metrics.js';
export type { Metrics, MetricsOptions, MetricsType } from './metrics.js';
// Conveyor's own: one exposition out of several queues' exportPrometheusMetrics()
export { mergePrometheusMetrics, PROMETHEUS_CONTENT_TYPE } from './prometheus-merge.js';
export { MetricNames, SpanKind, TelemetryAttributes } from './telemetry.js';
export type {
  AttributeValue,
  Attributes,
  ContextManager,
  Counter,
  Exception,
  Gauge,
  Histogram,
  JobTelemetryOptions,
  Meter,
  MetricOptions,
  Span,
  SpanOptions,
  SpanStatus,
  Telemetry,
  Time,
  Tracer,
} from './telemetry.js';
export type { ExceptionType } from './interfaces/telemetry.js';

// Errors and helpers
export {
  ConveyorConnectionError,
  ConveyorScriptError,
  ConveyorValidationError,
  DelayedError,
  ErrorCode,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
} from './errors.js';
export {
  CONNECTION_CLOSED_ERROR_MSG,
  ConnectionClosedError,
  DELAYED_ERROR,
  isNotConnectionError,
  RATE_LIMIT_ERROR,
  UNRECOVERABLE_ERROR,
  WAITING_CHILDREN_ERROR,
  WAITING_ERROR,
} from './errors-public.js';
export {
  delay,
  getParentKey,
  isRedisCluster,
  isRedisInstance,
  lengthInUtf8Bytes,
  randomUUID,
  removeAllQueueData,
} from './utils-public.js';
