import type { Job } from '../engine/job.js';
import type { Worker } from '../engine/worker/worker.js';
import { WorkerNotReadyError } from './errors/worker-not-ready.error.js';

const WORKER = Symbol('conveyor:worker-host.worker');

/**
 * Base class of a processor with one handler for every job: implement `process`. Processors that
 * route by job name with `@Process('name')` need not extend it.
 */
export abstract class WorkerHost<T extends Worker = Worker> {
  private [WORKER]: T | undefined;

  /** The engine worker running this processor; it exists from onModuleInit on (with manual registration, from BullRegistrar.register()). */
  get worker(): T {
    const worker = this[WORKER];
    if (!worker) throw new WorkerNotReadyError(this.constructor.name);
    return worker;
  }

  abstract process(job: Job, token?: string, signal?: AbortSignal): Promise<any>;
}

/** Hands a processor instance its worker (internal: called by the explorer). */
export function attachWorker(instance: object, worker: Worker): void {
  if (instance instanceof WorkerHost) (instance as unknown as Record<typeof WORKER, Worker>)[WORKER] = worker;
}
