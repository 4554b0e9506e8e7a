import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/index.js';
import { checkQueueName, show } from '../engine/internal.js';
import type { QueueModuleAsyncOptions, QueueModuleExtras, QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import type {
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
} from './interfaces/register-flow-producer-options.interface.js';
import type { RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import type { ModuleStyle } from './module-options.js';
import { QueueCoreModule } from './queue-core.module.js';
import { asyncRoot, syncRoot } from './queue-root.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { asyncFlowProducerProviders, asyncQueueProviders, flowProducerProviders, queueProviders } from './queue.providers.js';
import { getFlowProducerToken, getQueueToken } from './queue.tokens.js';

/**
 * The module: `forRoot` / `forRootAsync` open a connection; `registerQueue` / `registerQueueAsync`
 * make queues on it for `@InjectQueue`, `registerFlowProducer(Async)` flow producers.
 * `BullModule` (bull.module.ts) is the same module under @nestjs/bullmq's names and behaviour.
 */
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions & QueueModuleExtras = {}): DynamicModule {
    const { configKey = DEFAULT_CONFIG_KEY, ...connectionOptions } = options ?? {};
    return syncRoot(QueueModule, checkConfigKey(configKey, 'QueueModule.forRoot'), 'conveyor', connectionOptions);
  }

  static forRootAsync(options: QueueModuleAsyncOptions): DynamicModule {
    const configKey = checkConfigKey(options?.configKey ?? DEFAULT_CONFIG_KEY, 'QueueModule.forRootAsync');
    return asyncRoot(QueueModule, configKey, 'conveyor', options);
  }

  static registerQueue(...queues: RegisterQueueOptions[]): DynamicModule {
    return registerQueues(QueueModule, 'conveyor', queues);
  }

  static registerQueueAsync(...queues: RegisterQueueAsyncOptions[]): DynamicModule {
    return registerQueuesAsync(QueueModule, 'conveyor', queues);
  }

  static registerFlowProducer(...producers: RegisterFlowProducerOptions[]): DynamicModule {
    return registerFlowProducers(QueueModule, 'conveyor', producers);
  }

  static registerFlowProducerAsync(...producers: RegisterFlowProducerAsyncOptions[]): DynamicModule {
    return registerFlowProducersAsync(QueueModule, 'conveyor', producers);
  }
}

// What QueueModule and BullModule share: each registration is its own module that imports the
// app-wide core (so a registration works even without any forRoot, as @nestjs/bullmq allows).

export function registerQueues(module: Type<unknown>, style: ModuleStyle, queues: RegisterQueueOptions[]): DynamicModule {
  const names = checkRegistrations(`${module.name}.registerQueue`, queues, checkQueueName);
  return { module, imports: [QueueCoreModule], providers: queueProviders(queues, style), exports: names.map(getQueueToken) };
}

export function registerQueuesAsync(module: Type<unknown>, style: ModuleStyle, queues: RegisterQueueAsyncOptions[]): DynamicModule {
  const names = checkRegistrations(`${module.name}.registerQueueAsync`, queues, checkQueueName);
  return {
    module,
    imports: [...uniqueImports(queues), QueueCoreModule],
    providers: asyncQueueProviders(queues, style, module.name),
    exports: names.map(getQueueToken),
  };
}

export function registerFlowProducers(module: Type<unknown>, style: ModuleStyle, producers: RegisterFlowProducerOptions[]): DynamicModule {
  const names = checkRegistrations(`${module.name}.registerFlowProducer`, producers, checkProducerName);
  return {
    module,
    imports: [QueueCoreModule],
    providers: flowProducerProviders(producers, style),
    exports: names.map(getFlowProducerToken),
  };
}

export function registerFlowProducersAsync(
  module: Type<unknown>,
  style: ModuleStyle,
  producers: RegisterFlowProducerAsyncOptions[],
): DynamicModule {
  const names = checkRegistrations(`${module.name}.registerFlowProducerAsync`, producers, checkProducerName);
  return {
    module,
    imports: [...uniqueImports(producers), QueueCoreModule],
    providers: asyncFlowProducerProviders(producers, style, module.name),
    exports: names.map(getFlowProducerToken),
  };
}

function uniqueImports(registrations: readonly { imports?: DynamicModule['imports'] }[]): NonNullable<DynamicModule['imports']> {
  return [...new Set(registrations.flatMap((r) => r.imports ?? []))];
}

export function checkConfigKey(configKey: unknown, where: string): string {
  if (typeof configKey !== 'string' || configKey.length === 0) {
    throw new ConveyorValidationError(`${where}: configKey must be a non-empty string, got ${show(configKey)}`);
  }
  return configKey;
}

/** A flow producer's name is only its injection name: any non-empty string. */
function checkProducerName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ConveyorValidationError(`flow producer name must be a non-empty string, got ${show(name)}`);
  }
}

/** Checks each registration before anything is made; returns their names (left out: "default"). */
function checkRegistrations(
  where: string,
  registrations: readonly { name?: string; configKey?: string }[],
  checkName: (name: unknown) => void,
): string[] {
  const seen = new Set<string>();
  for (const registration of registrations) {
    if (typeof registration !== 'object' || registration === null) {
      throw new ConveyorValidationError(`${where} takes { name, ... } per registration, got ${show(registration)}`);
    }
    const name = registration.name ?? DEFAULT_CONFIG_KEY;
    checkName(name);
    if (registration.configKey !== undefined) checkConfigKey(registration.configKey, where);
    if (seen.has(name)) throw new ConveyorValidationError(`${where}: "${name}" is listed twice`);
    seen.add(name);
  }
  return [...seen];
}
