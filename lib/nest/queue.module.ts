import { Module, type DynamicModule } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/errors.js';
import { checkQueueName, show } from '../engine/options.js';
import type {
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
} from './interfaces/register-flow-producer-options.interface.js';
import type { RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import { ConfigurableQueueModule } from './queue.module-definition.js';
import { asyncFlowProducerProviders, asyncQueueProviders, flowProducerProviders, queueProviders } from './queue.providers.js';
import { getFlowProducerToken, getQueueToken } from './queue.tokens.js';

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

  static registerFlowProducer(...producers: RegisterFlowProducerOptions[]): DynamicModule {
    checkRegistrations('registerFlowProducer', producers, checkProducerName);
    return { module: QueueModule, providers: flowProducerProviders(producers), exports: producers.map((p) => getFlowProducerToken(p.name)) };
  }

  static registerFlowProducerAsync(...producers: RegisterFlowProducerAsyncOptions[]): DynamicModule {
    checkRegistrations('registerFlowProducerAsync', producers, checkProducerName);
    return {
      module: QueueModule,
      imports: producers.flatMap((p) => p.imports ?? []),
      providers: asyncFlowProducerProviders(producers),
      exports: producers.map((p) => getFlowProducerToken(p.name)),
    };
  }
}

/** A flow producer's name is only its injection name: any non-empty string. */
function checkProducerName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConveyorValidationError(`flow producer name must be a non-empty string, got ${show(name)}`);
  }
}

function checkRegistrations(
  method: string,
  registrations: readonly { name: string }[],
  checkName: (name: unknown) => void = checkQueueName,
): void {
  const seen = new Set<string>();
  for (const registration of registrations) {
    if (typeof registration !== 'object' || registration === null) {
      throw new ConveyorValidationError(`QueueModule.${method} takes { name, ... } per registration, got ${show(registration)}`);
    }
    checkName(registration.name);
    if (seen.has(registration.name)) throw new ConveyorValidationError(`QueueModule.${method}: "${registration.name}" is listed twice`);
    seen.add(registration.name);
  }
}
