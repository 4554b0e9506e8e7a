import type { MetadataScanner } from '@nestjs/core';
import { UnrecoverableError, type Job, type Processor as EngineProcessor } from '../engine/index.js';
import { readMethodMetadata } from './decorators/metadata.js';
import type { ProcessMetadata } from './decorators/process.decorator.js';
import { DuplicateCatchAllError } from './errors/duplicate-catch-all.error.js';
import { DuplicateHandlerError } from './errors/duplicate-handler.error.js';
import { InvalidProcessorClassError } from './errors/invalid-processor-class.error.js';
import type { InstanceResolver } from './instance.resolver.js';
import type { EventBinding } from './listener.invoker.js';
import { PROCESS_METADATA, QUEUE_EVENT_METADATA, WORKER_EVENT_METADATA } from './queue.constants.js';
import { UNKNOWN_JOB_NAME } from './queue.messages.js';
import { WorkerHost } from './worker-host.js';

/** How a processor class routes jobs, and which of its methods listen to which events. */
export interface ProcessorHandlers {
  owner: string;
  byName: ReadonlyMap<string, string>;
  catchAll: string | undefined;
  events: EventBinding[];
}

/** Reads and checks a `@Processor` class's handlers; invalid wiring throws a named error. */
export function readProcessorHandlers(metatype: Function, scanner: MetadataScanner): ProcessorHandlers {
  const owner = metatype.name;
  const prototype = metatype.prototype as Record<string, unknown>;
  const byName = new Map<string, string>();
  const catchAlls: string[] = [];
  if (prototype instanceof WorkerHost && typeof prototype.process === 'function') catchAlls.push('process');

  for (const method of scanner.getAllMethodNames(prototype)) {
    for (const { name } of readMethodMetadata<ProcessMetadata>(PROCESS_METADATA, prototype[method] as object)) {
      if (name === undefined) {
        if (!catchAlls.includes(method)) catchAlls.push(method);
        continue;
      }
      const taken = byName.get(name);
      if (taken !== undefined) throw new DuplicateHandlerError(owner, name, [taken, method]);
      byName.set(name, method);
    }
  }
  if (catchAlls.length > 1) throw new DuplicateCatchAllError(owner, catchAlls);
  if (catchAlls.length === 0 && byName.size === 0) throw new InvalidProcessorClassError(owner);
  return { owner, byName, catchAll: catchAlls[0], events: readEventBindings(prototype, WORKER_EVENT_METADATA, scanner) };
}

/** The `@OnQueueEvent` methods of a listener class. */
export function readQueueEventBindings(metatype: Function, scanner: MetadataScanner): EventBinding[] {
  return readEventBindings(metatype.prototype, QUEUE_EVENT_METADATA, scanner);
}

function readEventBindings(prototype: Record<string, unknown>, key: string, scanner: MetadataScanner): EventBinding[] {
  return scanner
    .getAllMethodNames(prototype)
    .flatMap((method) => readMethodMetadata<string>(key, prototype[method] as object).map((event) => ({ event, method })));
}

/**
 * The engine processor for a class: picks the handler by job name (else the catch-all) on the
 * instance for the job. A name no handler takes fails the job at once, without retries.
 */
export function createRouter(handlers: ProcessorHandlers, resolver: InstanceResolver): EngineProcessor {
  const known = [...handlers.byName.keys()];
  return async (job: Job, token?: string, signal?: AbortSignal) => {
    const method = handlers.byName.get(job.name) ?? handlers.catchAll;
    if (method === undefined) throw new UnrecoverableError(UNKNOWN_JOB_NAME(job.name, handlers.owner, known));
    const instance = (await resolver.resolve(job)) as Record<string, (...args: unknown[]) => unknown>;
    return instance[method](job, token, signal);
  };
}
