// The engine's public API, every name exported explicitly: `nestjs-conveyor/engine` (no NestJS
// needed) and, re-exported, the package root. bullmq 6.7's names and shapes; Conveyor's own
// additions are named as such where they are declared.

// Classes
export { Queue } from './queue/queue.js';
export type { BulkJob, QueueListener } from './queue/queue.js';
export { JobScheduler } from './scheduler/job-scheduler.js';
export type { JobSchedulerOptions, UpsertJobSchedulerMode } from './scheduler/job-scheduler.js';
export type {
  AdvancedRepeatOptions,
  JobSchedulerJobOptions,
  JobSchedulerJson,
  JobSchedulerTemplate,
  JobSchedulerTemplateJson,
  JobSchedulerTemplateOptions,
  RepeatOptions,
  RepeatStrategy,
} from './scheduler/repeat-options.js';
export { defaultRepeatStrategy, getNextMillis } from './scheduler/repeat-time.js';
export {
  getLegacyRepeatableJobError,
  hasLegacyRepeatableKeyShape,
  isLegacyRepeatableJobKey,
  LEGACY_REPEATABLE_JOBS_MIGRATION_URL,
} from './job/legacy-repeatable.js';
export type { JobType } from './queue/getters.js';
export type { CleanType, ObliterateOptions, PromoteJobsOptions, RetryJobsOptions } from './queue/admin.js';
export { Worker, WORKER_DEFAULTS } from './worker.js';
export type { GetNextJobOptions, Processor, WorkerCloseOptions, WorkerOptions } from './worker.js';
export type { SandboxedJob, SandboxedProcessor } from './sandbox/sandboxed-job.js';
export type { SandboxOptions } from './sandbox/sandbox-options.js';
export type { SandboxedJobProcessor } from './interfaces/sandbox.js';
export { Job, PRIORITY_LIMIT } from './job/job.js';
export type { JobHost } from './job/host.js';
export type { JobProgress } from './job/job-shapes.js';
export type { FinishedStatus, JobState } from './job/job-states.js';
export type { ParentReference } from './job/payload.js';
export type { RemoveOptions } from './job/remove.js';
export type { JobJsonRaw } from './job/job-data.js';
export type { NextJobReply } from './job/fetch-reply.js';
export { FlowProducer, FLOW_DEFAULTS } from './flow/flow-producer.js';
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
} from './flow/flow-producer.js';
export type {
  Dependencies,
  DependenciesCount,
  DependenciesCountOpts,
  DependenciesOpts,
  DependencyOpts,
  DependencyPage,
} from './job/dependencies.js';
export { QueueEvents, QUEUE_EVENTS_DEFAULTS } from './events/queue-events.js';
export type { QueueEventsListener, QueueEventsOptions } from './events/queue-events.js';
export { QueueEventsProducer } from './events/queue-events-producer.js';
export type { QueueEventsProducerOptions } from './events/queue-events-producer.js';
export type { QueueMeta } from './queue/meta.js';
export type { QueueDependencies } from './queue/dependencies.js';
export { QUEUE_EVENT_SUFFIX } from './connection/clients.js';
export type { ClientInfo } from './connection/clients.js';

// Options, job shapes and listener types
export type { BackoffStrategy } from './job/backoff.js';
export type { BackoffOptions, DeduplicationOptions, JobsOptions, ParentOptions } from './core/job-options.js';
export type { QueueBaseOptions } from './connection/queue-base.js';
export type { QueueOptions } from './queue/queue-options.js';
export type { BaseJobOptions, CompressableJobOptions, DefaultJobOptions, KeepJobs } from './core/job-option-views.js';
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
} from './job/job-shapes.js';
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
export type { ConnectionOptions, RedisClient, UrlConnectionOptions } from './connection/connection.js';
export type { ClusterConnectionOptions } from './connection/cluster.js';
export type { IRedisClient, IRedisTransaction } from './connection/redis-client.js';
export type { BaseOptions, ClusterOptions, RedisConnectionClient, RedisOptions } from './connection/redis-options.js';
export { ACL_COMMANDS, aclRulesFor } from './connection/acl.js';
export { EVICTION_POLICY_WARNING } from './connection/eviction-policy.js';

// Metrics and telemetry
export { MetricsTime } from './job/metrics.js';
export type { Metrics, MetricsOptions, MetricsType } from './job/metrics.js';
// Conveyor's own: one exposition out of several queues' exportPrometheusMetrics()
export { mergePrometheusMetrics, PROMETHEUS_CONTENT_TYPE } from './queue/prometheus-merge.js';
export { MetricNames, SpanKind, TelemetryAttributes } from './telemetry/telemetry.js';
export type {
  Attributes,
  AttributeValue,
  ContextManager,
  Counter,
  Exception,
  Gauge,
  Histogram,
  Meter,
  MetricOptions,
  Span,
  SpanOptions,
  SpanStatus,
  Telemetry,
  Time,
  Tracer,
} from './telemetry/telemetry.js';
export type { JobTelemetryOptions } from './core/job-options.js';
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
} from './core/errors.js';
export {
  CONNECTION_CLOSED_ERROR_MSG,
  ConnectionClosedError,
  DELAYED_ERROR,
  isNotConnectionError,
  RATE_LIMIT_ERROR,
  UNRECOVERABLE_ERROR,
  WAITING_CHILDREN_ERROR,
  WAITING_ERROR,
} from './core/errors-public.js';
export {
  delay,
  getParentKey,
  isRedisCluster,
  isRedisInstance,
  lengthInUtf8Bytes,
  randomUUID,
  removeAllQueueData,
} from './connection/utils-public.js';
