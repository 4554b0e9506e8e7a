import { Module, type DynamicModule } from '@nestjs/common';
import { ConveyorValidationError } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import { QueueCoreModule } from '../queue-core.module.js';
import type { QueueMetricsModuleAsyncOptions, QueueMetricsModuleOptions, QueueMetricsOptions } from './queue-metrics-options.interface.js';
import { DEFAULT_METRICS_PATH, QUEUE_METRICS_OPTIONS } from './queue-metrics.constants.js';
import { queueMetricsController } from './queue-metrics.controller.js';
import { checkMetricsOptions } from './queue-metrics.options.js';
import { QueueMetricsService } from './queue-metrics.service.js';

/**
 * Prometheus metrics of the module's queues. Imported as it is, it provides `QueueMetricsService`
 * for a controller of your own (e.g. one that also serves prom-client's registry);
 * `forRoot({ path })` also mounts `GET /metrics` (or `path`) and makes the service global.
 */
@Module({
  // the catalog of queues, also when this module is imported before any QueueModule.forRoot
  imports: [QueueCoreModule],
  providers: [QueueMetricsService],
  exports: [QueueMetricsService],
})
export class QueueMetricsModule {
  static forRoot(options: QueueMetricsModuleOptions = {}): DynamicModule {
    const { path = DEFAULT_METRICS_PATH, ...defaults } = checkMetricsOptions(options ?? {}, 'QueueMetricsModule.forRoot');
    return {
      module: QueueMetricsModule,
      global: true,
      controllers: [queueMetricsController(path)],
      providers: [{ provide: QUEUE_METRICS_OPTIONS, useValue: defaults }],
    };
  }

  static forRootAsync(options: QueueMetricsModuleAsyncOptions): DynamicModule {
    const where = 'QueueMetricsModule.forRootAsync';
    const { path = DEFAULT_METRICS_PATH } = checkMetricsOptions({ path: options?.path }, where);
    if (typeof options?.useFactory !== 'function') {
      throw new ConveyorValidationError(`${where}: takes { useFactory, inject?, imports?, path? }, got ${show(options)}`);
    }
    return {
      module: QueueMetricsModule,
      global: true,
      imports: options.imports ?? [],
      controllers: [queueMetricsController(path)],
      providers: [
        {
          provide: QUEUE_METRICS_OPTIONS,
          useFactory: async (...args: unknown[]): Promise<QueueMetricsOptions> => {
            const { configKey, globalVariables } = checkMetricsOptions((await options.useFactory(...args)) ?? {}, where);
            return { configKey, globalVariables };
          },
          inject: options.inject ?? [],
        },
      ],
    };
  }
}
