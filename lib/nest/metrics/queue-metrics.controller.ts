import { Controller, Get, Header, Inject, type Type } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE } from '../../engine/index.js';
import { QueueMetricsService } from './queue-metrics.service.js';

/**
 * The controller QueueMetricsModule.forRoot mounts: `GET <path>` answers the exposition. Made per
 * path, since a Nest route is fixed when its class is decorated.
 */
export function queueMetricsController(path: string): Type<unknown> {
  @Controller(path)
  class QueueMetricsController {
    constructor(@Inject(QueueMetricsService) private readonly queueMetrics: QueueMetricsService) {}

    @Get()
    @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
    // a scrape reads Redis now; an intermediary must not answer it from a cache
    @Header('Cache-Control', 'no-store')
    scrape(): Promise<string> {
      return this.queueMetrics.metrics();
    }
  }
  return QueueMetricsController;
}
