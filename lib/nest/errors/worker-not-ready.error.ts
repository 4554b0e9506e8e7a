import { WORKER_NOT_READY } from '../queue.messages.js';

/** `WorkerHost.worker` read before the worker exists (or in a producer-only app). */
export class WorkerNotReadyError extends Error {
  constructor(readonly owner: string) {
    super(WORKER_NOT_READY(owner));
    this.name = 'WorkerNotReadyError';
  }
}
