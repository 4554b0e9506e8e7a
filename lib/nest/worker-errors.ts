import type { Logger } from '@nestjs/common';
import type { Worker } from '../engine/worker/worker.js';
import { WORKER_ERROR } from './queue.messages.js';
import { RepeatFilter } from './repeat-filter.js';

const repeats = new RepeatFilter();

/**
 * Logs a worker's errors when nothing of the user's listens to them: each distinct error once
 * while it repeats, and again once the worker has fetched successfully in between.
 */
export function logWorkerErrors(worker: Worker, source: string, logger: Logger): void {
  // a worker that fetches again has recovered: its next error is news
  for (const event of ['ready', 'active', 'drained']) worker.on(event, () => repeats.reset(source));
  worker.on('error', (err: Error) => {
    if (repeats.isNew(source, err.message)) logger.error(WORKER_ERROR(worker.name), err.stack ?? err.message);
  });
}
