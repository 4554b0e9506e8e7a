// A queue registered with its own connection and no forRoot at all, with a processor and a
// QueueEventsHost listener, as @nestjs/bullmq allows.
import { BullModule, InjectQueue, OnWorkerEvent, Processor, QueueEventsHost, QueueEventsListener, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

@Processor('inbox')
export class InboxConsumer extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(job: Job<{ subject: string }>): Promise<string> {
    return job.data.subject.toUpperCase();
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job, result: string) {
    this.recorder.record(`${job.name}: ${result} (worker prefix ${this.worker.opts.prefix === appPrefix()})`);
  }
}

@QueueEventsListener('inbox')
export class InboxEvents extends QueueEventsHost {}

@Injectable()
export class InboxService {
  constructor(
    @InjectQueue('inbox') private readonly inbox: Queue,
    private readonly events: InboxEvents,
  ) {}

  async deliver(subject: string): Promise<unknown> {
    // the listener reads from "now": once it is ready, it sees this job finish
    await this.events.queueEvents.waitUntilReady();
    const job = await this.inbox.add('message', { subject });
    return job.waitUntilFinished(this.events.queueEvents, 10_000);
  }
}

@Module({
  imports: [BullModule.registerQueue({ name: 'inbox', connection: redisConnection(), prefix: appPrefix() })],
  providers: [InboxConsumer, InboxEvents, InboxService, Recorder],
})
export class AppModule {}
