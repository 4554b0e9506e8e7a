import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import type { QueueModuleExtras, QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import { QueueCatalog } from './queue.catalog.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { QueueCoreModule } from './queue-core.module.js';
import { getConnectionToken } from './queue.tokens.js';

/**
 * forRoot / forRootAsync, generated. Each call is its own global module: the builder's options
 * token stays private to it, and the connection it opens is exported under its configKey's token.
 */
export const {
  ConfigurableModuleClass: ConfigurableQueueModule,
  MODULE_OPTIONS_TOKEN: QUEUE_MODULE_OPTIONS,
  OPTIONS_TYPE: QUEUE_MODULE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: QUEUE_MODULE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<QueueModuleOptions>({ moduleName: 'Queue' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createQueueModuleOptions')
  .setExtras<QueueModuleExtras>({ configKey: DEFAULT_CONFIG_KEY }, (definition, { configKey = DEFAULT_CONFIG_KEY }): DynamicModule => {
    const connectionToken = getConnectionToken(configKey);
    return {
      ...definition,
      global: true,
      imports: [...(definition.imports ?? []), QueueCoreModule],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: connectionToken,
          useFactory: (options: QueueModuleOptions & QueueModuleExtras, catalog: QueueCatalog) => {
            // configKey shapes the module, it is no connection option
            const { configKey: _configKey, ...connectionOptions } = options ?? {};
            return catalog.open(configKey, connectionOptions);
          },
          inject: [QUEUE_MODULE_OPTIONS as string | symbol, QueueCatalog],
        },
      ],
      exports: [connectionToken],
    };
  })
  .build();
