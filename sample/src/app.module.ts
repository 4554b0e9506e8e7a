import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { QueueModule, type QueueModuleOptions } from 'nestjs-conveyor';
import { BoardModule } from './board/board.module.js';
import { DemoModule } from './demo/demo.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { EmailLifecycle, ReportLifecycle } from './lifecycle/lifecycle.listeners.js';
import { ShutdownReporter } from './lifecycle/shutdown.reporter.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { sampleConfig } from './settings.js';
import { WorkersModule } from './workers/workers.module.js';

/**
 * The whole app, for every role: the role only decides whether this process runs workers
 * (`workers: false` makes it a producer, e.g. an API beside a separate worker process).
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [sampleConfig] }),
    QueueModule.forRootAsync({
      inject: [sampleConfig.KEY],
      useFactory: (settings: ConfigType<typeof sampleConfig>): QueueModuleOptions => ({
        connection: settings.redisUrl,
        prefix: settings.queuePrefix,
        workers: settings.role !== 'api',
        shutdownTimeoutMs: settings.shutdownTimeoutMs,
      }),
    }),
    JobsModule,
    WorkersModule,
    HealthModule,
    MetricsModule,
    BoardModule,
    DemoModule,
  ],
  providers: [EmailLifecycle, ReportLifecycle, ShutdownReporter],
})
export class AppModule {}
