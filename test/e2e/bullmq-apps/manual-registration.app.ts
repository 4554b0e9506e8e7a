// Manual registration as @nestjs/bullmq's documentation shows it: forRoot with
// extraOptions.manualRegistration, and a service that calls BullRegistrar.register() when the app
// decides to start working.
import {
  BullModule,
  BullRegistrar,
  InjectQueue,
  OnQueueEvent,
  Processor,
  QueueEventsHost,
  QueueEventsListener,
  WorkerHost,
} from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

@Processor('imports')
export class ImportsConsumer extends WorkerHost {
  async process(job: Job<{ rows: number }>): Promise<number> {
    return job.data.rows;
  }
}

@QueueEventsListener('imports')
export class ImportsEvents extends QueueEventsHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  @OnQueueEvent('completed')
  onCompleted({ returnvalue }: { jobId: string; returnvalue: unknown }) {
    this.recorder.record(`imported ${returnvalue} rows`);
  }
}

@Injectable()
export class ImportsService {
  constructor(
    private readonly bullRegistrar: BullRegistrar,
    @InjectQueue('imports') private readonly imports: Queue,
    private readonly consumer: ImportsConsumer,
    private readonly events: ImportsEvents,
    private readonly recorder: Recorder,
  ) {}

  /** What exists before register(): the queue, but no worker and no queue events. */
  beforeRegister() {
    for (const [what, read] of [
      ['worker', () => this.consumer.worker],
      ['queueEvents', () => this.events.queueEvents],
    ] as const) {
      try {
        read();
        this.recorder.record(`${what} exists`);
      } catch (err) {
        this.recorder.record(`${what}: ${(err as Error).message.split('.')[0]}`);
      }
    }
  }

  async start() {
    this.bullRegistrar.register();
    await this.events.queueEvents.waitUntilReady();
  }

  async importRows(rows: number) {
    await this.imports.add('import', { rows });
  }
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix(), extraOptions: { manualRegistration: true } }),
    BullModule.registerQueue({ name: 'imports' }),
  ],
  providers: [ImportsConsumer, ImportsEvents, ImportsService, Recorder],
})
export class AppModule {}
