// The engine's public API, every name exported explicitly: `nestjs-conveyor/engine` (no NestJS
// needed) and, re-exported, the package root. bullmq 6.7's names and shapes; Conveyor's own
// additions are named as such where they are declared. This file is the engine's one door for
// the package; lib/nest and lib/bull-board also use internal.ts, which the package does not export.

// Queue
export { Queue } from './queue/queue.js';
export type { BulkJob, QueueListener } from './queue/queue.js';
export type { ObliterateOpts, QueueOptions } from './queue/queue-options.js';
export type { JobType } from './queue/getters.js';
export type { CleanType, ObliterateOptions, PromoteJobsOptions, RetryJobsOptions } from './queue/admin.js';
export type { QueueMeta } from './queue/meta.js';
export type { QueueDependencies } from './queue/dependencies.js';
// Conveyor's own: one exposition out of several queues' exportPrometheusMetrics()
export { mergePrometheusMetrics, PROMETHEUS_CONTENT_TYPE } from './queue/prometheus-merge.js';

// Job schedulers
export { JobScheduler } from './scheduler/job-scheduler.js';
export type { JobSchedulerOptions, UpsertJobSchedulerMode } from './scheduler/job-scheduler.js';
export type {
  AdvancedRepeatOptions,
  JobSchedulerJobOptions,
  JobSchedulerJson,
  JobSchedulerTemplate,
  JobSchedulerTemplateJson,
  JobSchedulerTemplateOptions,
  RepeatableOptions,
  RepeatBaseOptions,
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

// Worker and sandboxed processors
export { Worker } from './worker/worker.js';
export type { Processor } from './worker/worker.js';
export { WORKER_DEFAULTS } from './core/defaults.js';
export type { AdvancedOptions, RateLimiterOptions, WorkerOptions } from './worker/options.js';
export type { GetNextJobOptions } from './worker/manual.js';
export type { WorkerCloseOptions } from './worker/shutdown.js';
export type { WorkerListener } from './worker/listeners.js';
export type { SandboxedJob, SandboxedJobProcessor, SandboxedProcessor } from './sandbox/sandboxed-job.js';
export type { SandboxedOptions, SandboxOptions } from './sandbox/sandbox-options.js';

// Jobs
export { Job, PRIORITY_LIMIT } from './job/job.js';
export type { JobHost } from './job/host.js';
export type { FinishedStatus, JobState } from './job/job-states.js';
export type { ParentReference } from './job/payload.js';
export type { RemoveOptions } from './job/remove.js';
export type { JobJsonRaw } from './job/job-data.js';
export type { NextJobReply } from './job/fetch-reply.js';
export type { BackoffStrategy } from './job/backoff.js';
export type {
  BulkJobOptions,
  FinishedPropValAttribute,
  JobJson,
  JobJsonSandbox,
  JobProgress,
  MinimalJob,
  MoveToDelayedOpts,
  MoveToWaitingChildrenOpts,
  Parent,
  ParentKeyOpts,
  ParentKeys,
  RetryJobOpts,
  RetryOptions,
} from './job/job-shapes.js';
export type {
  Dependencies,
  DependenciesCount,
  DependenciesCountOpts,
  DependenciesOpts,
  DependencyOpts,
  DependencyPage,
} from './job/dependencies.js';
export { MetricsTime } from './job/metrics.js';
export type { Metrics, MetricsOptions, MetricsType } from './job/metrics.js';
export type { BackoffOptions, DeduplicationOptions, JobsOptions, JobTelemetryOptions, ParentOptions } from './core/job-options.js';
export type { BaseJobOptions, CompressableJobOptions, DefaultJobOptions, KeepJobs } from './core/job-option-views.js';

// Flows
export { FlowProducer, FLOW_DEFAULTS } from './flow/flow-producer.js';
export type { FlowProducerListener, FlowProducerOptions, JobNode, NodeOpts } from './flow/flow-producer.js';
export type {
  FlowChildJob,
  FlowJob,
  FlowJobBase,
  FlowJobNode,
  FlowNestedLeafJob,
  FlowOpts,
  FlowParentJob,
  FlowQueueOptions,
  FlowQueuesOpts,
  FlowRootLeafJob,
  FlowRootParentJob,
} from './flow/flow-nodes.js';

// Queue events
export { QueueEvents, QUEUE_EVENTS_DEFAULTS } from './events/queue-events.js';
export type { QueueEventsListener, QueueEventsOptions } from './events/queue-events.js';
export { QueueEventsProducer } from './events/queue-events-producer.js';
export type { QueueEventsProducerOptions } from './events/queue-events-producer.js';

// Connections
export type { ConnectionOptions, RedisClient, UrlConnectionOptions } from './connection/connection.js';
export type { QueueBaseOptions } from './connection/queue-base.js';
export { ClientType } from './connection/backend.js';
export type {
  DatabaseType,
  IoredisListener,
  KeyPrefixOptions,
  MinimalQueue,
  RedisKeyPrefixOptions,
  RedisQueueBackend,
} from './connection/backend.js';
export type { ClusterConnectionOptions } from './connection/cluster.js';
export type { IRedisClient, IRedisTransaction } from './connection/redis-client.js';
export type { BaseOptions, ClusterOptions, RedisConnectionClient, RedisOptions } from './connection/redis-options.js';
export { QUEUE_EVENT_SUFFIX } from './connection/clients.js';
export type { ClientInfo } from './connection/clients.js';
export { ACL_COMMANDS, aclRulesFor } from './connection/acl.js';
export { EVICTION_POLICY_WARNING } from './connection/eviction-policy.js';
export {
  delay,
  getParentKey,
  isRedisCluster,
  isRedisInstance,
  lengthInUtf8Bytes,
  randomUUID,
  removeAllQueueData,
} from './connection/utils-public.js';

// Telemetry
export { MetricNames, SpanKind, TelemetryAttributes } from './telemetry/telemetry.js';
export type {
  Attributes,
  AttributeValue,
  ContextManager,
  Counter,
  Exception,
  ExceptionType,
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

// Errors
export {
  ConveyorConnectionError,
  ConveyorScriptError,
  ConveyorValidationError,
  DelayedError,
  ErrorCode,
  JobNotMovedError,
  LockLostError,
  NonErrorThrown,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
  WaitingError,
  WorkerClosedError,
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
