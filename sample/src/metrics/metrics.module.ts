import { Module } from '@nestjs/common';
import { QueueMetricsModule } from 'nestjs-conveyor';
import { MetricsController } from './metrics.controller.js';

/** Prometheus metrics of every queue the app registered, at GET /metrics. */
@Module({
  imports: [QueueMetricsModule],
  controllers: [MetricsController],
})
export class MetricsModule {}
