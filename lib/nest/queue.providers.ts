import type { ConfigurableModuleAsyncOptions, Provider } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/errors.js';
import type {
  FlowProducerRegistrationOptions,
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
} from './interfaces/register-flow-producer-options.interface.js';
import type { QueueRegistrationOptions, RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import type { ModuleConnection } from './module-connection.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { INVALID_ASYNC_OPTIONS } from './queue.messages.js';
import {
  getConnectionToken,
  getFlowProducerOptionsToken,
  getFlowProducerToken,
  getQueueOptionsToken,
  getQueueToken,
} from './queue.tokens.js';

/**
 * Providers that put options under `token` from `useFactory`, `useClass` or `useExisting` (the
 * factory class's `method` is called). One helper for every async registration.
 */
export function asyncOptionsProviders<T, M extends string>(
  token: string,
  options: ConfigurableModuleAsyncOptions<T, M>,
  method: M,
  where: string,
): Provider[] {
  if (options.useFactory) return [{ provide: token, useFactory: options.useFactory, inject: options.inject ?? [] }];
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) throw new ConveyorValidationError(INVALID_ASYNC_OPTIONS(where));
  const fromFactory: Provider = {
    provide: token,
    useFactory: (factory: Record<M, () => T | Promise<T>>) => factory[method](),
    inject: [factoryClass],
  };
  return options.useClass ? [fromFactory, { provide: options.useClass, useClass: options.useClass }] : [fromFactory];
}

/**
 * What differs between registering queues and flow producers: their tokens, the factory method an
 * options class implements, and how the connection makes one. Everything else is shared.
 */
interface Registrable<Options> {
  label: string;
  token(name: string): string;
  optionsToken(name: string): string;
  factoryMethod: string;
  make(connection: ModuleConnection, name: string, options: Options): unknown;
}

const QUEUES: Registrable<QueueRegistrationOptions> = {
  label: 'registerQueueAsync',
  token: getQueueToken,
  optionsToken: getQueueOptionsToken,
  factoryMethod: 'createRegisterQueueOptions',
  make: (connection, name, options) => connection.queue(name, options),
};

const FLOW_PRODUCERS: Registrable<FlowProducerRegistrationOptions> = {
  label: 'registerFlowProducerAsync',
  token: getFlowProducerToken,
  optionsToken: getFlowProducerOptionsToken,
  factoryMethod: 'createRegisterFlowProducerOptions',
  make: (connection, name, options) => connection.flowProducer(name, options),
};

/** The provider of one registration: made on its connection from the options under its options token. */
function madeOnConnection<O>(kind: Registrable<O>, name: string, configKey = DEFAULT_CONFIG_KEY): Provider {
  return {
    provide: kind.token(name),
    useFactory: (options: O, connection: ModuleConnection) => kind.make(connection, name, options),
    inject: [kind.optionsToken(name), getConnectionToken(configKey)],
  };
}

function registrationProviders<O>(kind: Registrable<O>, registrations: readonly ({ name: string; configKey?: string } & O)[]): Provider[] {
  return registrations.flatMap(({ name, configKey, ...options }) => [
    { provide: kind.optionsToken(name), useValue: options },
    madeOnConnection(kind, name, configKey),
  ]);
}

function asyncRegistrationProviders<O>(
  kind: Registrable<O>,
  registrations: readonly (ConfigurableModuleAsyncOptions<O, string> & { name: string; configKey?: string })[],
): Provider[] {
  return registrations.flatMap((registration) => [
    ...asyncOptionsProviders(
      kind.optionsToken(registration.name),
      registration,
      kind.factoryMethod,
      `QueueModule.${kind.label}({ name: '${registration.name}' })`,
    ),
    madeOnConnection(kind, registration.name, registration.configKey),
  ]);
}

export const queueProviders = (registrations: readonly RegisterQueueOptions[]): Provider[] => registrationProviders(QUEUES, registrations);

export const asyncQueueProviders = (registrations: readonly RegisterQueueAsyncOptions[]): Provider[] =>
  asyncRegistrationProviders(QUEUES, registrations);

export const flowProducerProviders = (registrations: readonly RegisterFlowProducerOptions[]): Provider[] =>
  registrationProviders(FLOW_PRODUCERS, registrations);

export const asyncFlowProducerProviders = (registrations: readonly RegisterFlowProducerAsyncOptions[]): Provider[] =>
  asyncRegistrationProviders(FLOW_PRODUCERS, registrations);
