import { AMBIGUOUS_QUEUE, QUEUE_NOT_REGISTERED } from '../queue.messages.js';

/** A processor or listener names a queue that no `registerQueue` registered (or several did). */
export class QueueNotRegisteredError extends Error {
  constructor(
    readonly owner: string,
    readonly queueName: string,
    readonly configKey?: string,
    /** The connections that have a queue of that name, when more than one. */
    readonly candidates: readonly string[] = [],
  ) {
    super(candidates.length > 1 ? AMBIGUOUS_QUEUE(owner, queueName, candidates) : QUEUE_NOT_REGISTERED(owner, queueName, configKey));
    this.name = 'QueueNotRegisteredError';
  }
}
