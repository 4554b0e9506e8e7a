import { Inject, Injectable, Optional } from '@nestjs/common';
import { mergePrometheusMetrics, PROMETHEUS_CONTENT_TYPE, type Queue } from '../../engine/index.js';
import { QueueCatalog } from '../queue.catalog.js';
import type { QueueMetricsOptions } from './queue-metrics-options.interface.js';
import { QUEUE_METRICS_OPTIONS, SAME_QUEUE_ON_TWO_CONNECTIONS } from './queue-metrics.constants.js';
import { checkMetricsOptions } from './queue-metrics.options.js';

/**
 * The Prometheus metrics of every queue the module registered (QueueModule's and BullModule's
 * registrations alike), as one exposition: each queue's `exportPrometheusMetrics()`, bullmq's
 * series line for line, merged so each metric family is described once.
 *
 * @example
 * // a route of your own, answered with the header `Content-Type: ${PROMETHEUS_CONTENT_TYPE}`
 * scrape() { return this.queueMetrics.metrics({ globalVariables: { env: 'prod' } }); }
 */
@Injectable()
export class QueueMetricsService {
  /** What to answer a scrape with in the Content-Type header. */
  readonly contentType = PROMETHEUS_CONTENT_TYPE;

  constructor(
    private readonly catalog: QueueCatalog,
    @Optional() @Inject(QUEUE_METRICS_OPTIONS) private readonly defaults: QueueMetricsOptions = {},
  ) {}

  /** The exposition, read from Redis now; `options` override the module's, key by key. */
  async metrics(options: QueueMetricsOptions = {}): Promise<string> {
    const given = checkMetricsOptions(options, 'QueueMetricsService.metrics');
    const globalVariables = given.globalVariables ?? this.defaults.globalVariables;
    const queues = this.queues(given.configKey ?? this.defaults.configKey);
    return mergePrometheusMetrics(await Promise.all(queues.map((queue) => queue.exportPrometheusMetrics(globalVariables))));
  }

  /** The queues exported: those registered on `configKey`'s connection, or on every connection. */
  queues(configKey?: string): Queue[] {
    const connections = configKey === undefined ? this.catalog.all : [this.catalog.connection(configKey)];
    const owners = new Map<string, string[]>();
    const queues: Queue[] = [];
    for (const connection of connections) {
      for (const queue of connection.allQueues) {
        const seen = owners.get(queue.name);
        if (seen) seen.push(connection.configKey);
        else owners.set(queue.name, [connection.configKey]);
        queues.push(queue);
      }
    }
    // the series say only `queue="name"`: two queues of one name would give one series twice
    for (const [name, configKeys] of owners) if (configKeys.length > 1) throw new Error(SAME_QUEUE_ON_TWO_CONNECTIONS(name, configKeys));
    return queues;
  }
}
