import { Logger } from '@nestjs/common';
import { MetricsTime, OnJobFailed, Process, Processor, type Job } from 'nestjs-conveyor';
import { clip } from '../logging/clip.js';
import { EMAILS, type EmailJob } from '../queues.js';
import { integer } from '../settings.js';
import { Mailer } from './mailer.service.js';

/**
 * One handler per job name; a name with no handler (try "newsletter") fails at once. Concurrency
 * from WORKER_CONCURRENCY (read when this file loads), at most 10 emails a second across workers.
 */
@Processor(EMAILS, {
  concurrency: integer('WORKER_CONCURRENCY', process.env.WORKER_CONCURRENCY, 5),
  limiter: { max: 10, duration: 1000 },
  // per-minute completed/failed counts: the totals GET /metrics reports
  metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
})
export class EmailProcessor {
  private readonly logger = new Logger(EmailProcessor.name);

  constructor(private readonly mailer: Mailer) {}

  @Process('welcome')
  welcome(job: Job<EmailJob>, _token?: string, signal?: AbortSignal) {
    return this.mailer.send(job.data.to, 'Welcome aboard', signal);
  }

  @Process('receipt')
  receipt(job: Job<EmailJob>, _token?: string, signal?: AbortSignal) {
    return this.mailer.send(job.data.to, 'Your receipt', signal);
  }

  @OnJobFailed()
  failed(job: Job<EmailJob>, error: Error) {
    const retry = job.finishedOn ? 'no more attempts' : `attempt ${job.attemptsMade} of ${job.opts.attempts}, will retry`;
    this.logger.warn(`email ${job.id} to ${clip(job.data.to, 80)} failed (${retry}): ${clip(error.message)}`);
  }
}
