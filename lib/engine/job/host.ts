import type { RedisClient } from '../connection/connection.js';
import type { JobsOptions } from '../core/job-options.js';
import type { QueueKeys } from '../core/keys.js';

/** What a Job needs from its Queue or Worker. */
export interface JobHost {
  readonly name: string;
  readonly keys: QueueKeys;
  readonly client: Promise<RedisClient>;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  /**
   * Who creates the next iteration of a scheduler's job taken from this host (BullMQ's
   * `queue.jobScheduler` / `worker.jobScheduler`; a flow's queues have one too).
   */
  readonly jobScheduler?: Promise<IterationScheduler>;
}

/**
 * The part of a JobScheduler (scheduler/job-scheduler.ts) that a taken iteration needs: the job
 * layer names it here, so that jobs reach their scheduler through their host, never by importing
 * the scheduler (which builds Jobs).
 */
export interface IterationScheduler {
  isJobScheduler(id: string): Promise<boolean>;
  upsertJobScheduler(
    jobSchedulerId: string,
    repeatOpts: object,
    jobName: string,
    jobData: unknown,
    opts: JobsOptions,
    mode: { override: false; producerId: string },
  ): Promise<unknown>;
}
