import { Logger } from '@nestjs/common';
import { OnQueueEvent, QueueEventsListener } from 'nestjs-conveyor';
import { clip, clipJson } from '../logging/clip.js';
import { EMAILS, REPORTS } from '../queues.js';

/**
 * Prints the lifecycle of every job of a queue from its global events: these come from Redis, so
 * an API-only process sees the jobs a separate worker process runs. Values from jobs are clipped
 * (see clip.ts).
 */
abstract class LifecyclePrinter {
  protected abstract readonly queue: string;
  private readonly logger = new Logger('Lifecycle');

  private print(jobId: string, what: string) {
    this.logger.log(`${this.queue}#${clip(jobId, 40)} ${what}`);
  }

  @OnQueueEvent('added') added({ jobId, name }: { jobId: string; name: string }) {
    this.print(jobId, `added (${clip(name, 60)})`);
  }
  @OnQueueEvent('active') active({ jobId }: { jobId: string }) {
    this.print(jobId, 'active');
  }
  @OnQueueEvent('progress') progress({ jobId, data }: { jobId: string; data: unknown }) {
    this.print(jobId, `progress ${clipJson(data)}`);
  }
  @OnQueueEvent('delayed') delayed({ jobId, delay }: { jobId: string; delay: number }) {
    this.print(jobId, `delayed until ${new Date(delay).toISOString()} (retry)`);
  }
  @OnQueueEvent('completed') completed({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) {
    this.print(jobId, `completed -> ${clipJson(returnvalue)}`);
  }
  @OnQueueEvent('failed') failed({ jobId, failedReason }: { jobId: string; failedReason: string }) {
    this.print(jobId, `failed: ${clip(failedReason)}`);
  }
}

@QueueEventsListener(EMAILS)
export class EmailLifecycle extends LifecyclePrinter {
  protected readonly queue = EMAILS;
}

@QueueEventsListener(REPORTS)
export class ReportLifecycle extends LifecyclePrinter {
  protected readonly queue = REPORTS;
}
