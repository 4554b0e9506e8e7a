import { SetMetadata } from '@nestjs/common';
import type { Processor as ProcessorFunction } from '../../engine/worker.js';
import { PROCESSOR_METADATA } from '../queue.constants.js';
import type { ProcessorMetadata, ProcessorWorkerOptions, QueueReference } from '../interfaces/processor-options.interface.js';
import { queueReference } from './queue-reference.js';

/**
 * The engine's processor function `(job, token?, signal?) => result`: BullMQ calls its type
 * `Processor` and @nestjs/bullmq its decorator, so the one name exported by the package root means
 * the type in type positions and the decorator in value positions.
 */
export type Processor<DataType = any, ResultType = any, NameType extends string = string> = ProcessorFunction<DataType, ResultType, NameType>;

/**
 * Marks a provider as the processor of a queue. Its worker is created at boot and starts once the
 * app has bootstrapped (or when `WorkerRegistry.start` is called, with `autorun: false`).
 *
 * @example @Processor('emails', { concurrency: 5, limiter: { max: 10, duration: 1000 } })
 */
export function Processor(queue: string | QueueReference, workerOptions: ProcessorWorkerOptions = {}): ClassDecorator {
  const metadata: ProcessorMetadata = { ...queueReference('@Processor', queue), workerOptions };
  return SetMetadata(PROCESSOR_METADATA, metadata);
}
