/** The events Worker emits, typed as bullmq 6.7 types them (`worker.on('completed', ...)`). */
import type { IoredisListener } from '../connection/backend.js';
import type { JobProgress } from '../job/job-shapes.js';
import type { Job } from '../job/job.js';

export interface WorkerListener<
  DataType = any,
  ResultType = any,
  NameType extends string = string,
  ProgressType extends JobProgress = JobProgress,
> extends IoredisListener {
  /** A job was taken; `prev` is the state it came from. */
  active: (job: Job<DataType, ResultType, NameType>, prev: string) => void;
  closed: () => void;
  closing: (msg: string) => void;
  completed: (job: Job<DataType, ResultType, NameType>, result: ResultType, prev: string) => void;
  /** The wait list is empty (delayed jobs may still be due later). */
  drained: () => void;
  error: (failedReason: Error) => void;
  /** `job` is undefined when a stalled job failed and removeOnFail removed it. */
  failed: (job: Job<DataType, ResultType, NameType> | undefined, error: Error, prev: string) => void;
  paused: () => void;
  progress: (job: Job<DataType, ResultType, NameType>, progress: ProgressType) => void;
  ready: () => void;
  resumed: () => void;
  stalled: (jobId: string, prev: string) => void;
  lockRenewalFailed: (jobIds: string[]) => void;
  locksRenewed: (data: { count: number; jobIds: string[] }) => void;
}
