import { MetricsTime, Process, Processor, type Job } from 'nestjs-conveyor';
import { REPORTS, type ReportJob } from '../queues.js';
import { abortableDelay } from './abortable-delay.js';

const STEPS = 5;

/** One report at a time; each of its five steps reports progress (20, 40, ... 100). */
@Processor(REPORTS, { concurrency: 1, metrics: { maxDataPoints: MetricsTime.ONE_WEEK } })
export class ReportProcessor {
  @Process('generate')
  async generate(job: Job<ReportJob>, _token?: string, signal?: AbortSignal) {
    const rows = job.data.rows ?? 50;
    for (let step = 1; step <= STEPS; step++) {
      await abortableDelay(100, signal);
      await job.updateProgress(Math.round((step / STEPS) * 100));
    }
    return { title: job.data.title, rows, url: `/reports/${job.id}.csv` };
  }
}
