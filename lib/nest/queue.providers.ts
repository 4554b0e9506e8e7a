import type { ConfigurableModuleAsyncOptions, Provider } from '@nestjs/common';
import { ConveyorValidationError } from '../engine/errors.js';
import type { QueueRegistrationOptions, RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import type { ModuleConnection } from './module-connection.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { INVALID_ASYNC_OPTIONS } from './queue.messages.js';
import { getConnectionToken, getQueueOptionsToken, getQueueToken } from './queue.tokens.js';

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

/** The queue provider: made on its connection from the options under the queue's options token. */
function queueProvider(name: string, configKey = DEFAULT_CONFIG_KEY): Provider {
  return {
    provide: getQueueToken(name),
    useFactory: (options: QueueRegistrationOptions, connection: ModuleConnection) => connection.queue(name, options),
    inject: [getQueueOptionsToken(name), getConnectionToken(configKey)],
  };
}

export function queueProviders(registrations: readonly RegisterQueueOptions[]): Provider[] {
  return registrations.flatMap(({ name, configKey, ...options }) => [
    { provide: getQueueOptionsToken(name), useValue: options },
    queueProvider(name, configKey),
  ]);
}

export function asyncQueueProviders(registrations: readonly RegisterQueueAsyncOptions[]): Provider[] {
  return registrations.flatMap((registration) => [
    ...asyncOptionsProviders(
      getQueueOptionsToken(registration.name),
      registration,
      'createRegisterQueueOptions',
      `QueueModule.registerQueueAsync({ name: '${registration.name}' })`,
    ),
    queueProvider(registration.name, registration.configKey),
  ]);
}
