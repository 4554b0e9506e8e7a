// Queue events as @nestjs/bullmq's documentation shows them: a @QueueEventsListener class that
// extends QueueEventsHost, @OnQueueEvent handlers, and a service that waits for a job through the
// listener's queueEvents.
import { BullModule, InjectQueue, OnQueueEvent, Processor, QueueEventsHost, QueueEventsListener, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

@Processor('reports')
export class ReportsConsumer extends WorkerHost {
  async process(job: Job<{ pages: number }>): Promise<{ pages: number }> {
    if (job.data.pages < 0) throw new Error('a report needs pages');
    return { pages: job.data.pages };
  }
}

@QueueEventsListener('reports')
export class ReportsEventsListener extends QueueEventsHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  @OnQueueEvent('completed')
  onCompleted({ returnvalue }: { jobId: string; returnvalue: unknown }) {
    this.recorder.record(`completed ${JSON.stringify(returnvalue)}`);
  }

  @OnQueueEvent('failed')
  onFailed({ failedReason }: { jobId: string; failedReason: string }) {
    this.recorder.record(`failed ${failedReason}`);
  }
}

@Injectable()
export class ReportsService {
  constructor(
    @InjectQueue('reports') private readonly reports: Queue,
    private readonly events: ReportsEventsListener,
  ) {}

  async render(pages: number): Promise<unknown> {
    // the listener reads from "now": once it is ready, it sees this job finish
    await this.events.queueEvents.waitUntilReady();
    const job = await this.reports.add('render', { pages });
    return job.waitUntilFinished(this.events.queueEvents, 10_000);
  }
}

@Module({
  imports: [BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }), BullModule.registerQueue({ name: 'reports' })],
  providers: [ReportsConsumer, ReportsEventsListener, ReportsService, Recorder],
})
export class AppModule {}
