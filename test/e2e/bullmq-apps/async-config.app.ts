// Async configuration as @nestjs/bullmq's documentation shows it: forRootAsync with ConfigService,
// a named configuration from a SharedBullConfigurationFactory class, registerQueueAsync and
// registerFlowProducerAsync, and a processor that names its configuration.
import {
  BullModule,
  InjectFlowProducer,
  InjectQueue,
  Processor,
  WorkerHost,
  getSharedConfigToken,
  type RegisterFlowProducerOptions,
  type RegisterFlowProducerOptionsFactory,
  type SharedBullConfigurationFactory,
} from '@nestjs/bullmq';
import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { FlowProducer, Job, Queue, type QueueOptions } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

const settings = () => ({ queue: { connection: redisConnection(), prefix: appPrefix() }, mail: { attempts: 3 } });

@Injectable()
export class ReportsBullConfig implements SharedBullConfigurationFactory {
  createSharedConfiguration() {
    return { connection: redisConnection(), prefix: `${appPrefix()}-reports` };
  }
}

@Injectable()
export class BatchFlowOptions implements RegisterFlowProducerOptionsFactory {
  createRegisterQueueOptions(): RegisterFlowProducerOptions {
    return {};
  }
}

@Processor({ name: 'pdf', configKey: 'reports' })
export class PdfConsumer extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(job: Job<{ title: string }>): Promise<string> {
    this.recorder.record(`pdf ${job.data.title} under ${job.prefix}`);
    return `${job.data.title}.pdf`;
  }
}

@Processor('mail')
export class MailConsumer extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(job: Job<{ to: string }>): Promise<void> {
    this.recorder.record(`mail to ${job.data.to} may take ${job.opts.attempts} attempts`);
  }
}

@Injectable()
export class Jobs {
  constructor(
    @InjectQueue('mail') readonly mail: Queue,
    @InjectQueue('pdf') readonly pdf: Queue,
    @InjectFlowProducer('batches') readonly batches: FlowProducer,
    @Inject(getSharedConfigToken('reports')) readonly reportsConfig: QueueOptions,
  ) {}
}

@Module({
  imports: [
    ConfigModule.forRoot({ load: [settings], ignoreEnvFile: true }),
    BullModule.forRootAsync({
      imports: [ConfigModule],
      useFactory: async (config: ConfigService) => ({
        ...config.getOrThrow<QueueOptions>('queue'),
        defaultJobOptions: { attempts: config.getOrThrow<number>('mail.attempts') },
      }),
      inject: [ConfigService],
    }),
    BullModule.forRootAsync('reports', { useClass: ReportsBullConfig }),
    BullModule.registerQueueAsync({
      name: 'mail',
      imports: [ConfigModule],
      useFactory: (config: ConfigService) => ({ defaultJobOptions: { attempts: config.getOrThrow<number>('mail.attempts') + 1 } }),
      inject: [ConfigService],
    }),
    BullModule.registerQueue({ name: 'pdf', configKey: 'reports' }),
    BullModule.registerFlowProducerAsync({ name: 'batches', useClass: BatchFlowOptions }),
  ],
  providers: [PdfConsumer, MailConsumer, Jobs, Recorder],
})
export class AppModule {}
