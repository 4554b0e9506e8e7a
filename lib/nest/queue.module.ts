import { Module, type DynamicModule } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/errors.js';
import { checkQueueName, show } from '../engine/options.js';
import type { RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import { ConfigurableQueueModule } from './queue.module-definition.js';
import { asyncQueueProviders, queueProviders } from './queue.providers.js';
import { getQueueToken } from './queue.tokens.js';

/**
 * The module: `forRoot` / `forRootAsync` (generated, see queue.module-definition.ts) open a
 * connection; `registerQueue` / `registerQueueAsync` make queues on it for `@InjectQueue`.
 */
@Module({})
export class QueueModule extends ConfigurableQueueModule {
  static registerQueue(...queues: RegisterQueueOptions[]): DynamicModule {
    checkRegistrations('registerQueue', queues);
    return { module: QueueModule, providers: queueProviders(queues), exports: queues.map((q) => getQueueToken(q.name)) };
  }

  static registerQueueAsync(...queues: RegisterQueueAsyncOptions[]): DynamicModule {
    checkRegistrations('registerQueueAsync', queues);
    return {
      module: QueueModule,
      imports: queues.flatMap((q) => q.imports ?? []),
      providers: asyncQueueProviders(queues),
      exports: queues.map((q) => getQueueToken(q.name)),
    };
  }
}

function checkRegistrations(method: string, queues: readonly { name: string }[]): void {
  const seen = new Set<string>();
  for (const queue of queues) {
    if (typeof queue !== 'object' || queue === null) {
      throw new ConveyorValidationError(`QueueModule.${method} takes { name, ... } per queue, got ${show(queue)}`);
    }
    checkQueueName(queue.name);
    if (seen.has(queue.name)) throw new ConveyorValidationError(`QueueModule.${method}: queue "${queue.name}" is listed twice`);
    seen.add(queue.name);
  }
}
