import { Logger, type FactoryProvider, type Provider, type Type } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/index.js';
import { show } from '../engine/internal.js';
import type {
  FlowProducerRegistrationOptions,
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
} from './interfaces/register-flow-producer-options.interface.js';
import type {
  QueueRegistrationOptions,
  RegisterQueueAsyncOptions,
  RegisterQueueOptions,
} from './interfaces/register-queue-options.interface.js';
import type { ModuleConnection } from './module-connection.js';
import type { ModuleStyle } from './module-options.js';
import { registerQueueProcessors } from './queue-processors.js';
import { QueueCatalog } from './queue.catalog.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { INVALID_ASYNC_OPTIONS } from './queue.messages.js';
import {
  getConnectionToken,
  getFlowProducerOptionsToken,
  getFlowProducerRegistrationToken,
  getFlowProducerToken,
  getQueueOptionsToken,
  getQueueRegistrationToken,
  getQueueToken,
} from './queue.tokens.js';
import { WorkerRegistry } from './worker.registry.js';

/** What every async registration takes: one of useFactory, useClass or useExisting. */
export interface AsyncOptionsSource {
  useFactory?: (...args: any[]) => unknown;
  inject?: FactoryProvider['inject'];
  useClass?: Type<unknown>;
  useExisting?: Type<unknown>;
}

/**
 * Providers that put options under `token` from `useFactory`, `useClass` or `useExisting`. A
 * factory class is asked with the first of `methods` it has (QueueModule's and @nestjs/bullmq's
 * names for the same thing). One helper for every async registration.
 */
export function asyncOptionsProviders(token: string, options: AsyncOptionsSource, methods: readonly string[], where: string): Provider[] {
  if (typeof options !== 'object' || options === null) {
    throw new ConveyorValidationError(`${where}: takes { useFactory | useClass | useExisting, ... }, got ${show(options)}`);
  }
  if (options.useFactory) return [{ provide: token, useFactory: options.useFactory, inject: options.inject ?? [] }];
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) throw new ConveyorValidationError(INVALID_ASYNC_OPTIONS(where));
  const fromFactory: Provider = {
    provide: token,
    useFactory: (factory: Record<string, unknown>) => {
      const method = methods.find((m) => typeof factory[m] === 'function');
      if (!method) throw new ConveyorValidationError(`${where}: ${factoryClass.name} has no method ${methods.join(' or ')}()`);
      return (factory[method] as () => unknown).call(factory);
    },
    inject: [factoryClass],
  };
  return options.useClass ? [fromFactory, { provide: options.useClass, useClass: options.useClass }] : [fromFactory];
}

/** The forRoot connection of `configKey`, injected when there is one (so it is made first). */
const connectionOf = (configKey: string | undefined) => ({ token: getConnectionToken(configKey ?? DEFAULT_CONFIG_KEY), optional: true });

/** A registration names its place outside its options; a factory's own name and configKey are ignored. */
function withoutPlace<T extends object>(options: T | undefined | null): Omit<T, 'name' | 'configKey'> {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object') throw new ConveyorValidationError(`registration options must be an object, got ${show(options)}`);
  const { name: _name, configKey: _configKey, ...rest } = options as T & { name?: unknown; configKey?: unknown };
  return rest;
}

/** The options token and the queue of one registration, whose own options are under its registration token. */
function queueProvidersFor(name: string, configKey: string | undefined, style: ModuleStyle): Provider[] {
  const logger = new Logger('QueueModule');
  const owner = `Queue(${name})`;
  return [
    {
      provide: getQueueOptionsToken(name),
      useFactory: (registration: QueueRegistrationOptions, catalog: QueueCatalog) =>
        catalog.failingBoot(() => catalog.connectionFor(configKey, owner, style).queueOptions(name, withoutPlace(registration), style)),
      inject: [getQueueRegistrationToken(name), QueueCatalog, connectionOf(configKey)],
    },
    {
      provide: getQueueToken(name),
      useFactory: (options: QueueRegistrationOptions, catalog: QueueCatalog, registry: WorkerRegistry) =>
        catalog.failingBoot(() => {
          const connection: ModuleConnection = catalog.connectionFor(configKey, owner, style);
          const queue = connection.queue(name, options);
          registerQueueProcessors(queue, options.processors, connection, registry, logger);
          return queue;
        }),
      inject: [getQueueOptionsToken(name), QueueCatalog, WorkerRegistry, connectionOf(configKey)],
    },
  ];
}

function flowProducerProvidersFor(name: string, configKey: string | undefined, style: ModuleStyle): Provider[] {
  const owner = `FlowProducer(${name})`;
  return [
    {
      provide: getFlowProducerOptionsToken(name),
      useFactory: (registration: FlowProducerRegistrationOptions, catalog: QueueCatalog) =>
        catalog.failingBoot(() => catalog.connectionFor(configKey, owner, style).flowProducerOptions(withoutPlace(registration))),
      inject: [getFlowProducerRegistrationToken(name), QueueCatalog, connectionOf(configKey)],
    },
    {
      provide: getFlowProducerToken(name),
      useFactory: (options: FlowProducerRegistrationOptions, catalog: QueueCatalog) =>
        catalog.failingBoot(() => catalog.connectionFor(configKey, owner, style).flowProducer(name, options)),
      inject: [getFlowProducerOptionsToken(name), QueueCatalog, connectionOf(configKey)],
    },
  ];
}

export const queueProviders = (registrations: readonly RegisterQueueOptions[], style: ModuleStyle): Provider[] =>
  registrations.flatMap((registration) => {
    const name = registration.name ?? DEFAULT_CONFIG_KEY;
    return [
      { provide: getQueueRegistrationToken(name), useValue: withoutPlace(registration) },
      ...queueProvidersFor(name, registration.configKey, style),
    ];
  });

export const asyncQueueProviders = (registrations: readonly RegisterQueueAsyncOptions[], style: ModuleStyle, module: string): Provider[] =>
  registrations.flatMap((registration) => {
    const name = registration.name ?? DEFAULT_CONFIG_KEY;
    const where = `${module}.registerQueueAsync({ name: '${name}' })`;
    return [
      ...asyncOptionsProviders(getQueueRegistrationToken(name), registration, ['createRegisterQueueOptions'], where),
      ...(registration.extraProviders ?? []),
      ...queueProvidersFor(name, registration.configKey, style),
    ];
  });

export const flowProducerProviders = (registrations: readonly RegisterFlowProducerOptions[], style: ModuleStyle): Provider[] =>
  registrations.flatMap((registration) => {
    const name = registration.name ?? DEFAULT_CONFIG_KEY;
    return [
      { provide: getFlowProducerRegistrationToken(name), useValue: withoutPlace(registration) },
      ...flowProducerProvidersFor(name, registration.configKey, style),
    ];
  });

export const asyncFlowProducerProviders = (
  registrations: readonly RegisterFlowProducerAsyncOptions[],
  style: ModuleStyle,
  module: string,
): Provider[] =>
  registrations.flatMap((registration) => {
    const name = registration.name ?? DEFAULT_CONFIG_KEY;
    const where = `${module}.registerFlowProducerAsync({ name: '${name}' })`;
    return [
      // @nestjs/bullmq asks a flow producer's options class with the queue factory's method name
      ...asyncOptionsProviders(getFlowProducerRegistrationToken(name), registration, ['createRegisterQueueOptions'], where),
      ...flowProducerProvidersFor(name, registration.configKey, style),
    ];
  });
