// A @nestjs/bullmq app as its documentation writes one: forRoot, registerQueue, a WorkerHost
// processor that switches on job.name, @OnWorkerEvent handlers and a producer with @InjectQueue.
import { BullModule, InjectQueue, OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

@Processor('audio', { concurrency: 1 })
export class AudioConsumer extends WorkerHost implements OnApplicationBootstrap {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  onApplicationBootstrap() {
    this.recorder.record(`worker of ${this.worker.name} with concurrency ${this.worker.opts.concurrency}`);
  }

  async process(job: Job<{ seconds: number }, number, string>): Promise<number> {
    switch (job.name) {
      case 'transcode':
        await job.updateProgress(50);
        return job.data.seconds * 2;
      case 'broken':
        throw new Error(`cannot transcode ${job.data.seconds} s`);
      default:
        throw new Error(`unknown job ${job.name}`);
    }
  }

  @OnWorkerEvent('active')
  onActive(job: Job) {
    this.recorder.record(`active ${job.name}`);
  }

  @OnWorkerEvent('progress')
  onProgress(job: Job, progress: number | object) {
    this.recorder.record(`progress ${job.name} ${JSON.stringify(progress)}`);
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job, result: number) {
    this.recorder.record(`completed ${job.name} ${result}`);
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, error: Error) {
    this.recorder.record(`failed ${job?.name} after ${job?.attemptsMade} attempt(s): ${error.message}`);
  }
}

@Injectable()
export class AudioService {
  constructor(@InjectQueue('audio') private readonly audioQueue: Queue) {}

  async transcode(seconds: number) {
    await this.audioQueue.add('transcode', { seconds });
  }

  async transcodeBroken(seconds: number) {
    await this.audioQueue.add('broken', { seconds }, { attempts: 2 });
  }

  defaults() {
    return this.audioQueue.defaultJobOptions;
  }
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix(), defaultJobOptions: { attempts: 1 } }),
    BullModule.registerQueue({ name: 'audio', defaultJobOptions: { removeOnFail: 10 } }),
  ],
  providers: [AudioConsumer, AudioService, Recorder],
})
export class AppModule {}
