import { AMBIGUOUS_WORKER, UNKNOWN_WORKER } from '../queue.messages.js';

/** `WorkerRegistry` was asked for a queue that has no worker in this app (or several, on different connections). */
export class UnknownWorkerError extends Error {
  constructor(
    readonly queueName: string,
    readonly configKey: string | undefined,
    known: readonly string[],
    ambiguous = false,
  ) {
    super(ambiguous ? AMBIGUOUS_WORKER(queueName, known) : UNKNOWN_WORKER(queueName, configKey, known));
    this.name = 'UnknownWorkerError';
  }
}
