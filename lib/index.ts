// The public API of nestjs-conveyor. Every name is exported explicitly.

// Engine (framework-free, BullMQ-compatible)
export { Queue } from './engine/queue.js';
export type { BulkJob, QueueListener } from './engine/queue.js';
export { JobScheduler } from './engine/job-scheduler.js';
export type { JobSchedulerOptions, UpsertJobSchedulerMode } from './engine/job-scheduler.js';
export type {
  AdvancedRepeatOptions,
  JobSchedulerJobOptions,
  JobSchedulerJson,
  JobSchedulerTemplate,
  JobSchedulerTemplateJson,
  JobSchedulerTemplateOptions,
  RepeatOptions,
  RepeatStrategy,
} from './engine/job-scheduler-options.js';
export { defaultRepeatStrategy, getNextMillis } from './engine/job-scheduler-time.js';
export {
  getLegacyRepeatableJobError,
  hasLegacyRepeatableKeyShape,
  isLegacyRepeatableJobKey,
  LEGACY_REPEATABLE_JOBS_MIGRATION_URL,
} from './engine/job-scheduler-legacy.js';
export type { JobType } from './engine/queue-getters.js';
export type {
  CleanType,
  FinishedStatus,
  ObliterateOptions,
  PromoteJobsOptions,
  RemoveOptions,
  RetryJobsOptions,
} from './engine/queue-admin.js';
export { Worker, WORKER_DEFAULTS } from './engine/worker.js';
export type { GetNextJobOptions, WorkerCloseOptions, WorkerOptions } from './engine/worker.js';
export type { SandboxedJob, SandboxedProcessor } from './engine/sandbox/sandboxed-job.js';
export type { SandboxOptions } from './engine/sandbox/sandbox-options.js';
export { Job, PRIORITY_LIMIT } from './engine/job.js';
export type { JobState, JobHost, JobProgress, ParentReference } from './engine/job.js';
export type { JobJsonRaw, NextJobReply } from './engine/job-moves.js';
export { FlowProducer, FLOW_DEFAULTS } from './engine/flow-producer.js';
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
} from './engine/flow-producer.js';
export type {
  Dependencies,
  DependenciesCount,
  DependenciesCountOpts,
  DependenciesOpts,
  DependencyOpts,
  DependencyPage,
} from './engine/job-dependencies.js';
export { QueueEvents, QUEUE_EVENTS_DEFAULTS } from './engine/queue-events.js';
export type { QueueEventsOptions } from './engine/queue-events.js';
export { QueueEventsProducer } from './engine/queue-events-producer.js';
export type { QueueEventsProducerOptions } from './engine/queue-events-producer.js';
export type { QueueMeta } from './engine/queue-meta.js';
export type { QueueDependencies } from './engine/queue-dependencies.js';
export { QUEUE_EVENT_SUFFIX } from './engine/queue-workers.js';
export type { ClientInfo } from './engine/queue-workers.js';
export type { BackoffStrategy } from './engine/backoff.js';
export { MetricsTime } from './engine/metrics.js';
export type { Metrics, MetricsOptions, MetricsType } from './engine/metrics.js';
export { MetricNames, SpanKind, TelemetryAttributes } from './engine/telemetry.js';
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
} from './engine/telemetry.js';
export type {
  BackoffOptions,
  DeduplicationOptions,
  JobsOptions,
  KeepJobs,
  ParentOptions,
  QueueBaseOptions,
  QueueOptions,
} from './engine/options.js';
export type { ConnectionOptions, RedisClient, UrlConnectionOptions } from './engine/connection.js';
export type { ClusterConnectionOptions } from './engine/cluster.js';
export { ACL_COMMANDS, aclRulesFor } from './engine/acl.js';
export { EVICTION_POLICY_WARNING } from './engine/eviction-policy.js';
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
} from './engine/errors.js';

// NestJS integration (terminus-based health lives in 'nestjs-conveyor/health'). `Processor` and
// `QueueEventsListener` are both the engine's types and the decorators (see their files). Conveyor's
// names and @nestjs/bullmq's (BullModule, QueueEventsHost, BullRegistrar...) are one implementation.
export { QueueModule } from './nest/queue.module.js';
export { BullModule } from './nest/bull.module.js';
export { BullRegistrar } from './nest/bull.registrar.js';
export { ProcessorDecoratorService } from './nest/processor-decorator.service.js';
export {
  BULL_CONFIG_DEFAULT_TOKEN,
  getConnectionToken,
  getFlowProducerOptionsToken,
  getFlowProducerToken,
  getQueueOptionsToken,
  getQueueToken,
  getSharedConfigToken,
} from './nest/queue.tokens.js';
export { JOB_REF } from './nest/job-ref.js';
export { DEFAULT_CONFIG_KEY, QUEUE_MODULE_DEFAULTS } from './nest/queue.constants.js';
export { WorkerHost } from './nest/worker-host.js';
export { QueueEventsHost } from './nest/queue-events-host.js';
export { WorkerRegistry } from './nest/worker.registry.js';
export type { WorkerDescription } from './nest/worker.registry.js';
export { InjectFlowProducer, InjectQueue } from './nest/decorators/inject-queue.decorator.js';
export { Processor } from './nest/decorators/processor.decorator.js';
export { Process } from './nest/decorators/process.decorator.js';
export {
  OnJobActive,
  OnJobCompleted,
  OnJobFailed,
  OnJobProgress,
  OnJobStalled,
  OnWorkerDrained,
  OnWorkerError,
  OnWorkerEvent,
} from './nest/decorators/worker-events.decorator.js';
export type { OnWorkerEventMetadata, WorkerEventName } from './nest/decorators/worker-events.decorator.js';
export { OnQueueEvent, QueueEventsListener } from './nest/decorators/queue-events.decorator.js';
export type { OnQueueEventMetadata } from './nest/decorators/queue-events.decorator.js';
export type {
  BullModuleExtraOptions,
  BullRootModuleOptions,
  QueueModuleAsyncOptions,
  QueueModuleExtras,
  QueueModuleOptions,
  QueueModuleOptionsFactory,
  SharedBullAsyncConfiguration,
  SharedBullConfigurationFactory,
} from './nest/interfaces/queue-module-options.interface.js';
export type {
  QueueRegistrationOptions,
  RegisterQueueAsyncOptions,
  RegisterQueueOptions,
  RegisterQueueOptionsFactory,
} from './nest/interfaces/register-queue-options.interface.js';
export type {
  FlowProducerRegistrationOptions,
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
  RegisterFlowProducerOptionsFactory,
} from './nest/interfaces/register-flow-producer-options.interface.js';
export type {
  BullQueueAdvancedProcessor,
  BullQueueAdvancedSeparateProcessor,
  BullQueueProcessor,
  BullQueueProcessorCallback,
  BullQueueSeparateProcessor,
} from './nest/interfaces/bull-processor.interfaces.js';
export type {
  NestQueueEventOptions,
  NestWorkerOptions,
  ProcessorOptions,
  ProcessorWorkerOptions,
  QueueEventsListenerOptions,
  QueueReference,
} from './nest/interfaces/processor-options.interface.js';
export { ConnectionConfigError } from './nest/errors/connection-config.error.js';
export { MissingBullSharedConfigurationError } from './nest/errors/missing-shared-config.error.js';
export { DuplicateCatchAllError } from './nest/errors/duplicate-catch-all.error.js';
export { DuplicateHandlerError } from './nest/errors/duplicate-handler.error.js';
export { DuplicateProcessorError } from './nest/errors/duplicate-processor.error.js';
export { InvalidProcessorClassError } from './nest/errors/invalid-processor-class.error.js';
export { ProcessorNotProviderError } from './nest/errors/processor-not-provider.error.js';
export { QueueEventsNotReadyError } from './nest/errors/queue-events-not-ready.error.js';
export { QueueNotRegisteredError } from './nest/errors/queue-not-registered.error.js';
export { UnknownWorkerError } from './nest/errors/unknown-worker.error.js';
export { WorkerNotReadyError } from './nest/errors/worker-not-ready.error.js';
