import type { Scope } from '@nestjs/common';
import type { QueueEventsOptions } from '../../engine/queue-events.js';
import type { Telemetry } from '../../engine/telemetry.js';
import type { WorkerOptions } from '../../engine/worker/worker.js';

/**
 * Worker options a `@Processor` takes. Connection, prefix and telemetry default to the queue's;
 * `autorun: false` leaves the worker stopped until `WorkerRegistry.start` (or `worker.run()`).
 */
export interface NestWorkerOptions extends WorkerOptions {
  /** @deprecated accepted and ignored, as by @nestjs/bullmq. */
  sharedConnection?: boolean;
}

/** Conveyor's name for a `@Processor`'s worker options. */
export type ProcessorWorkerOptions = NestWorkerOptions;

/** Names the queue a processor (or events listener) serves, and on which connection. */
export interface QueueReference {
  name: string;
  /** The `forRoot` connection; by default the one the queue was registered on. */
  configKey?: string;
}

/** `@Processor({ name, scope, configKey })`. */
export interface ProcessorOptions {
  /** The queue to process. @default 'default' */
  name?: string;
  /** The processor's injection scope (REQUEST: a fresh instance per job, with the job as its request). */
  scope?: Scope;
  /** The `forRoot` connection; by default the one the queue was registered on. */
  configKey?: string;
}

/** What `@Processor` stores on the class. */
export interface ProcessorMetadata extends QueueReference {
  workerOptions: ProcessorWorkerOptions;
}

/** QueueEvents options an events listener may set; the rest comes from its queue. */
export interface NestQueueEventOptions extends QueueEventsOptions {
  /** @deprecated accepted and ignored, as by @nestjs/bullmq. */
  sharedConnection?: boolean;
  /** Accepted for @nestjs/bullmq's sake; QueueEvents trace nothing. */
  telemetry?: Telemetry;
}

/** What `@QueueEventsListener(queueName, queueEventsOptions)` stores (@nestjs/bullmq's shape). */
export interface QueueEventsListenerOptions {
  queueName: string;
  queueEventsOptions?: NestQueueEventOptions;
}
