import type { OnApplicationShutdown } from '@nestjs/common';
import type { QueueEvents } from '../engine/index.js';
import { QueueEventsNotReadyError } from './errors/queue-events-not-ready.error.js';

const EVENTS = Symbol('conveyor:queue-events-host.events');

/**
 * Base class of a `@QueueEventsListener`: gives it its QueueEvents as `this.queueEvents` (to await
 * `job.waitUntilFinished(this.queueEvents)`, say). Listeners need not extend it.
 */
export abstract class QueueEventsHost<T extends QueueEvents = QueueEvents> implements OnApplicationShutdown {
  private [EVENTS]: T | undefined;

  /** The QueueEvents this listener is bound to; it exists from onModuleInit on (or BullRegistrar.register()). */
  get queueEvents(): T {
    const events = this[EVENTS];
    if (!events) throw new QueueEventsNotReadyError(this.constructor.name);
    return events;
  }

  /** Closes the QueueEvents (the module closes any it made anyway; closing twice is harmless). */
  async onApplicationShutdown(_signal?: string): Promise<void> {
    await this[EVENTS]?.close();
  }
}

/** Hands a listener instance its QueueEvents (internal: called by the explorer). */
export function attachQueueEvents(instance: object, events: QueueEvents): void {
  if (instance instanceof QueueEventsHost) (instance as unknown as Record<typeof EVENTS, QueueEvents>)[EVENTS] = events;
}
