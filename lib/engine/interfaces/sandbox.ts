import type { SandboxedJob } from '../sandbox/sandboxed-job.js';

/**
 * bullmq 6.7's type of a processor file's export. As in bullmq, the processor is called as
 * `(job, token, signal)`: the callback form the type also allows is not called with a callback.
 */
export type SandboxedJobProcessor<T = any, R = any> =
  | ((job: SandboxedJob<T, R>) => R | PromiseLike<R>)
  | ((job: SandboxedJob<T, R>, callback: (error: unknown, result: R) => void) => void);
