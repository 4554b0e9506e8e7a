// The `processors` option of registerQueue as @nestjs/bullmq users write it: a function, a
// function with its worker options, and a processor file run in a child process.
import { BullModule, InjectQueue, QueueEventsHost, QueueEventsListener } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Barrier, FRAMES_PROCESSOR, appPrefix, redisConnection } from './support.js';

// three jobs are held until all three run at once: one in the first worker, two in the second
const allThreeRunning = new Barrier(3);

@QueueEventsListener('thumbnails')
export class ThumbnailEvents extends QueueEventsHost {}

@QueueEventsListener('videos')
export class VideoEvents extends QueueEventsHost {}

@Injectable()
export class MediaService {
  constructor(
    @InjectQueue('thumbnails') private readonly thumbnails: Queue,
    @InjectQueue('videos') private readonly videos: Queue,
    private readonly thumbnailEvents: ThumbnailEvents,
    private readonly videoEvents: VideoEvents,
  ) {}

  async thumbnail(names: string[]): Promise<unknown[]> {
    await this.thumbnailEvents.queueEvents.waitUntilReady();
    const jobs = await this.thumbnails.addBulk(names.map((name) => ({ name: 'thumbnail', data: { name } })));
    return Promise.all(jobs.map((job) => job.waitUntilFinished(this.thumbnailEvents.queueEvents, 15_000)));
  }

  async countFrames(seconds: number): Promise<unknown> {
    await this.videoEvents.queueEvents.waitUntilReady();
    const job = await this.videos.add('frames', { seconds });
    return job.waitUntilFinished(this.videoEvents.queueEvents, 15_000);
  }
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }),
    BullModule.registerQueue(
      {
        name: 'thumbnails',
        processors: [
          async (job: Job) => {
            await allThreeRunning.arrive();
            return `${job.data.name} by the first worker`;
          },
          {
            concurrency: 2,
            callback: async (job: Job) => {
              await allThreeRunning.arrive();
              return `${job.data.name} by the second worker`;
            },
          },
        ],
      },
      { name: 'videos', processors: [FRAMES_PROCESSOR] },
    ),
  ],
  providers: [ThumbnailEvents, VideoEvents, MediaService],
})
export class AppModule {}
