import type { Logger } from '@nestjs/common';
import { ConveyorValidationError, type Processor, type Queue } from '../engine/index.js';
import { show } from '../engine/internal.js';
import { engineClasses } from './engine-classes.js';
import type { BullQueueProcessor } from './interfaces/bull-processor.interfaces.js';
import type { ProcessorWorkerOptions } from './interfaces/processor-options.interface.js';
import type { ModuleConnection } from './module-connection.js';
import { logWorkerErrors } from './worker-errors.js';
import type { WorkerRegistry } from './worker.registry.js';

/**
 * The `processors` of a queue registration: one worker each, registered like a `@Processor`'s, so
 * they start with the app, drain at shutdown and show in WorkerRegistry and the health check.
 * Manual registration does not hold them back (as in @nestjs/bullmq).
 */
export function registerQueueProcessors(
  queue: Queue,
  processors: readonly BullQueueProcessor[] | undefined,
  connection: ModuleConnection,
  registry: WorkerRegistry,
  logger: Logger,
): void {
  if (processors === undefined) return;
  if (!Array.isArray(processors)) {
    throw new ConveyorValidationError(`Queue "${queue.name}": processors must be an array, got ${show(processors)}`);
  }
  const parsed = processors.map((p, i) => parseProcessor(p, `Queue "${queue.name}": processors[${i}]`));
  if (!connection.options.workers) return;
  const target = connection.target(queue.name);
  parsed.forEach(({ processor, options }, i) => {
    const label = `processors[${i}] of queue "${queue.name}"`;
    registry.add({
      queueName: queue.name,
      configKey: connection.configKey,
      processor: label,
      autorun: options.autorun !== false,
      shutdownTimeoutMs: connection.options.shutdownTimeoutMs,
      create: () => {
        const worker = new engineClasses.worker(queue.name, processor, connection.workerOptions(target, options));
        logWorkerErrors(worker, `${connection.configKey}:${label}`, logger);
        return worker;
      },
    });
  });
}

function parseProcessor(
  entry: BullQueueProcessor,
  where: string,
): { processor: string | URL | Processor; options: ProcessorWorkerOptions } {
  if (typeof entry === 'function' || typeof entry === 'string' || entry instanceof URL) return { processor: entry, options: {} };
  if (typeof entry === 'object' && entry !== null) {
    if ('callback' in entry && typeof entry.callback === 'function') {
      const { callback, ...options } = entry;
      return { processor: callback, options };
    }
    if ('path' in entry && (typeof entry.path === 'string' || entry.path instanceof URL)) {
      const { path, ...options } = entry;
      return { processor: path, options };
    }
  }
  throw new ConveyorValidationError(
    `${where} must be a function, a file path or URL, { callback, ...workerOptions } or { path, ...workerOptions }; got ${show(entry)}`,
  );
}
