import type { URL } from 'node:url';
import type { Job, WorkerOptions } from '../../engine/index.js';

// The `processors` a queue registration may list: each runs in a worker of its own, beside any
// `@Processor` class of the queue. Functions run in this process; files in child processes or
// worker threads (the engine's sandbox), where dependency injection is not available.

export type BullQueueProcessorCallback = (job: Job) => Promise<unknown>;

/** A processor file: a path or a `file:` URL whose default export is the processor. */
export type BullQueueSeparateProcessor = string | URL;

/** A function with the options of its worker. */
export interface BullQueueAdvancedProcessor extends Partial<WorkerOptions> {
  concurrency?: number;
  callback: BullQueueProcessorCallback;
}

/** A processor file with the options of its worker. */
export interface BullQueueAdvancedSeparateProcessor extends Partial<WorkerOptions> {
  concurrency?: number;
  path: BullQueueSeparateProcessor;
  useWorkerThreads?: boolean;
}

export type BullQueueProcessor =
  BullQueueProcessorCallback | BullQueueAdvancedProcessor | BullQueueSeparateProcessor | BullQueueAdvancedSeparateProcessor;
