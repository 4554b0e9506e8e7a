import type { Job, JobProgress, JobState } from 'nestjs-conveyor';

/** What GET /jobs/:queue/:id answers. */
export interface JobView {
  id: string;
  queue: string;
  name: string;
  state: JobState;
  progress: JobProgress;
  attempts: { made: number; allowed: number };
  timestamps: { created: string; processed?: string; finished?: string };
  result: unknown;
  failedReason?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export async function toView(job: Job): Promise<JobView> {
  return {
    id: job.id!,
    queue: job.queueName,
    name: job.name,
    state: await job.getState(),
    progress: job.progress,
    attempts: { made: job.attemptsMade, allowed: Math.max(1, Number(job.opts.attempts ?? 1)) },
    timestamps: { created: iso(job.timestamp)!, processed: iso(job.processedOn), finished: iso(job.finishedOn) },
    result: job.returnvalue,
    failedReason: job.failedReason,
  };
}
