import type { DynamicModule, FactoryProvider } from '@nestjs/common';

/** What `QueueMetricsService.metrics()` exports. */
export interface QueueMetricsOptions {
  /**
   * Labels added to every series, after the queue's own, as `queue.exportPrometheusMetrics(globalVariables)`
   * adds them (e.g. `{ env: 'prod' }`).
   */
  globalVariables?: Record<string, string>;
  /** Only the queues registered on this `forRoot` connection. @default every connection's queues */
  configKey?: string;
}

export interface QueueMetricsModuleOptions extends QueueMetricsOptions {
  /** Where the controller answers (after the app's global prefix, if any). @default 'metrics' */
  path?: string;
}

export interface QueueMetricsModuleAsyncOptions {
  /** Where the controller answers; fixed when the module is defined, as Nest routes are. @default 'metrics' */
  path?: string;
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: any[]) => QueueMetricsOptions | Promise<QueueMetricsOptions>;
}
