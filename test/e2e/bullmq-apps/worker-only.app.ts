// A worker service as @nestjs/bullmq users write one: two processors on the same queue (each gets
// a worker), and a processor for a queue this service does not register (another service produces
// its jobs; the worker uses the forRoot's connection and prefix).
import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Barrier, Recorder, appPrefix, redisConnection } from './support.js';

// two jobs are held until both run at once: each processor (concurrency 1) holds one
const bothRunning = new Barrier(2);

@Processor('resize')
export class SmallImages extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(_job: Job<{ file: string }>): Promise<void> {
    await bothRunning.arrive();
    this.recorder.record(`resized by SmallImages`);
  }
}

@Processor('resize')
export class LargeImages extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(_job: Job<{ file: string }>): Promise<void> {
    await bothRunning.arrive();
    this.recorder.record(`resized by LargeImages`);
  }
}

@Processor('archive')
export class Archiver extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(job: Job<{ file: string }>): Promise<void> {
    this.recorder.record(`archived ${job.data.file}`);
  }
}

@Module({
  imports: [BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }), BullModule.registerQueue({ name: 'resize' })],
  providers: [SmallImages, LargeImages, Archiver, Recorder],
})
export class WorkerAppModule {}

@Injectable()
export class ImagesService {
  constructor(
    @InjectQueue('resize') private readonly resize: Queue,
    @InjectQueue('archive') private readonly archive: Queue,
  ) {}

  async request(files: string[]) {
    await this.resize.addBulk(files.map((file) => ({ name: 'resize', data: { file } })));
    await this.archive.add('archive', { file: files.join('+') });
  }
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }),
    BullModule.registerQueue({ name: 'resize' }, { name: 'archive' }),
  ],
  providers: [ImagesService],
})
export class ProducerAppModule {}
