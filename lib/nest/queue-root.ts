import { Logger, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { BullModuleExtraOptions, QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import { checkExtraOptions, type ModuleStyle } from './module-options.js';
import { QueueCoreModule } from './queue-core.module.js';
import { QueueCatalog } from './queue.catalog.js';
import { FACTORY_EXTRA_OPTIONS_IGNORED } from './queue.messages.js';
import { asyncOptionsProviders, type AsyncOptionsSource } from './queue.providers.js';
import { getConnectionToken, getSharedConfigToken } from './queue.tokens.js';

/** The names an options class may give its method: QueueModule's and @nestjs/bullmq's. */
const ROOT_FACTORY_METHODS = ['createQueueModuleOptions', 'createSharedConfiguration'];

interface RootAsync extends AsyncOptionsSource {
  imports?: DynamicModule['imports'];
  extraOptions?: BullModuleExtraOptions;
  extraProviders?: Provider[];
}

/**
 * One forRoot, whichever API it came from: a global module that provides the options as given
 * under `getSharedConfigToken(configKey)` and opens the connection under `getConnectionToken`.
 */
function rootModule(
  module: Type<unknown>,
  configKey: string,
  style: ModuleStyle,
  extraOptions: BullModuleExtraOptions,
  optionsProviders: Provider[],
  imports: DynamicModule['imports'] = [],
): DynamicModule {
  const sharedConfigToken = getSharedConfigToken(configKey);
  const connectionToken = getConnectionToken(configKey);
  const { manualRegistration = false } = extraOptions;
  return {
    module,
    global: true,
    imports: [...imports, QueueCoreModule],
    providers: [
      ...optionsProviders,
      {
        provide: connectionToken,
        useFactory: (options: QueueModuleOptions | undefined, catalog: QueueCatalog) => {
          // a factory's extraOptions come too late to shape the module (@nestjs/bullmq ignores them too)
          if (options && typeof options === 'object' && options.extraOptions !== undefined) {
            new Logger('QueueModule').warn(FACTORY_EXTRA_OPTIONS_IGNORED(configKey));
          }
          return catalog.open(configKey, options, { style, manualRegistration });
        },
        inject: [sharedConfigToken, QueueCatalog],
      },
    ],
    exports: [connectionToken, sharedConfigToken],
  };
}

/** forRoot: the options as given (without extraOptions, which shape the module). */
export function syncRoot(
  module: Type<unknown>,
  configKey: string,
  style: ModuleStyle,
  options: QueueModuleOptions | undefined,
): DynamicModule {
  const where = `${module.name}.forRoot (connection "${configKey}")`;
  const { extraOptions, ...connectionOptions } = options ?? {};
  return rootModule(module, configKey, style, checkExtraOptions(extraOptions, where), [
    { provide: getSharedConfigToken(configKey), useValue: connectionOptions },
  ]);
}

/** forRootAsync: the options from the factory, extraOptions from beside it. */
export function asyncRoot(module: Type<unknown>, configKey: string, style: ModuleStyle, options: RootAsync): DynamicModule {
  const where = `${module.name}.forRootAsync (connection "${configKey}")`;
  const providers = [
    ...asyncOptionsProviders(getSharedConfigToken(configKey), options, ROOT_FACTORY_METHODS, where),
    ...(options.extraProviders ?? []),
  ];
  return rootModule(module, configKey, style, checkExtraOptions(options.extraOptions, where), providers, options.imports);
}
