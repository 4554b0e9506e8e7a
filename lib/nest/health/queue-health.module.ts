import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueHealthIndicator } from './queue-health.indicator.js';

/** Provides `QueueHealthIndicator` (with terminus' HealthIndicatorService) to the module importing it. */
@Module({
  imports: [TerminusModule],
  providers: [QueueHealthIndicator],
  exports: [QueueHealthIndicator],
})
export class QueueHealthModule {}
