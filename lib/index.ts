// The public API of nestjs-conveyor. Every name is exported explicitly.

// Engine (framework-free, BullMQ-compatible): its own export list, also `nestjs-conveyor/engine`.
// `Processor` and `QueueEventsListener` below (the Nest decorators, which are also the engine's
// types of those names) take precedence over the engine's type-only exports.
export * from './engine/index.js';

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
export { QueueMetricsModule } from './nest/metrics/queue-metrics.module.js';
export { QueueMetricsService } from './nest/metrics/queue-metrics.service.js';
export type {
  QueueMetricsModuleAsyncOptions,
  QueueMetricsModuleOptions,
  QueueMetricsOptions,
} from './nest/metrics/queue-metrics-options.interface.js';
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
