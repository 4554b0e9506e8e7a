import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { QueueHealthIndicator } from 'nestjs-conveyor/health';
import { EMAILS, REPORTS } from '../queues.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly queues: QueueHealthIndicator,
  ) {}

  /** 200 when Redis answers, every worker of this process runs and the queues are within limits; else 503 with details. */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () =>
        this.queues.isHealthy('queues', {
          queues: {
            [EMAILS]: { maxWaiting: 1_000, maxFailed: { count: 100, withinMinutes: 15 } },
            [REPORTS]: { maxWaiting: 50 },
          },
        }),
    ]);
  }
}
