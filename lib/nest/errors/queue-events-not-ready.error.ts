import { QUEUE_EVENTS_NOT_READY } from '../queue.messages.js';

/** `QueueEventsHost.queueEvents` read before the listener was set up. */
export class QueueEventsNotReadyError extends Error {
  constructor(readonly owner: string) {
    super(QUEUE_EVENTS_NOT_READY(owner));
    this.name = 'QueueEventsNotReadyError';
  }
}
