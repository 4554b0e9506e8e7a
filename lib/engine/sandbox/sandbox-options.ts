import type { ForkOptions } from 'node:child_process';
import type { WorkerOptions as ThreadOptions } from 'node:worker_threads';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';

/** How a processor given as a file runs (BullMQ's option names). */
export interface SandboxOptions {
  /** Run a file processor in worker threads instead of child processes. @default false */
  useWorkerThreads?: boolean;
  /** Passed to `child_process.fork` for each child process of a file processor. */
  workerForkOptions?: ForkOptions;
  /** Passed to `new Worker()` of `node:worker_threads` for each thread of a file processor. */
  workerThreadsOptions?: ThreadOptions;
}

export function checkSandboxOptions(o: SandboxOptions): void {
  if (o.useWorkerThreads !== undefined && typeof o.useWorkerThreads !== 'boolean') {
    throw new ConveyorValidationError(`useWorkerThreads must be a boolean, got ${show(o.useWorkerThreads)}`);
  }
  for (const name of ['workerForkOptions', 'workerThreadsOptions'] as const) {
    const value = o[name];
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new ConveyorValidationError(`${name} must be an options object, got ${show(value)}`);
    }
  }
}

/** How a processor given as a file runs: child processes or worker threads, and their options. */
export type SandboxedOptions = SandboxOptions;
