import { Injectable, SetMetadata } from '@nestjs/common';
import type { JobProgress, Processor as ProcessorFunction } from '../../engine/index.js';
import type { ProcessorMetadata, ProcessorOptions, ProcessorWorkerOptions } from '../interfaces/processor-options.interface.js';
import { PROCESSOR_METADATA } from '../queue.constants.js';
import { queueReference } from './queue-reference.js';

/**
 * The engine's processor function `(job, token?, signal?) => result`: BullMQ calls its type
 * `Processor` and @nestjs/bullmq its decorator, so the one name exported by the package root means
 * the type in type positions and the decorator in value positions.
 */
export type Processor<
  DataType = any,
  ResultType = any,
  NameType extends string = string,
  ProgressType extends JobProgress = JobProgress,
> = ProcessorFunction<DataType, ResultType, NameType, ProgressType>;

/**
 * Marks a provider as the processor of a queue. Its worker is created at boot and starts once the
 * app has bootstrapped (or when `WorkerRegistry.start` is called, with `autorun: false`).
 *
 * @example @Processor('emails', { concurrency: 5, limiter: { max: 10, duration: 1000 } })
 * @example @Processor({ name: 'emails', configKey: 'jobs', scope: Scope.REQUEST })
 */
export function Processor(queueName: string): ClassDecorator;
export function Processor(queueName: string, workerOptions: ProcessorWorkerOptions): ClassDecorator;
export function Processor(processorOptions: ProcessorOptions): ClassDecorator;
export function Processor(processorOptions: ProcessorOptions, workerOptions: ProcessorWorkerOptions): ClassDecorator;
export function Processor(queue: string | ProcessorOptions, workerOptions: ProcessorWorkerOptions = {}): ClassDecorator {
  const metadata: ProcessorMetadata = { ...queueReference('@Processor', queue), workerOptions };
  const scope = typeof queue === 'object' ? queue.scope : undefined;
  const setMetadata = SetMetadata(PROCESSOR_METADATA, metadata);
  if (scope === undefined) return setMetadata;
  // the scope is the provider's, as @Injectable({ scope }) would set it
  const injectable = Injectable({ scope });
  return (target) => {
    injectable(target);
    setMetadata(target);
  };
}
