import { Controller, Get, Header, Inject, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PROMETHEUS_CONTENT_TYPE, QueueMetricsService } from 'nestjs-conveyor';
import { sampleConfig } from '../settings.js';

/**
 * `GET /metrics` for Prometheus: the job counts of the sample's queues and their completed and
 * failed totals (bullmq's series). Served by the API (roles all and api) only: the numbers are
 * the queues' in Redis, the same from every process, so one scrape target is enough and a worker's
 * HEALTH_PORT stays for health checks.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(sampleConfig.KEY) private readonly settings: ConfigType<typeof sampleConfig>,
    private readonly queueMetrics: QueueMetricsService,
  ) {}

  @Get()
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    if (this.settings.role === 'worker')
      throw new NotFoundException('a worker process serves no metrics: scrape the API (roles all and api)');
    return this.queueMetrics.metrics();
  }
}
