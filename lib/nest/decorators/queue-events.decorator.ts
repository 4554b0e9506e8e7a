import { SetMetadata } from '@nestjs/common';
import { ConveyorValidationError } from '../../engine/errors.js';
import { show } from '../../engine/options.js';
import type { QueueEventsListener as QueueEventsListenerMap, QueueEventsOptions } from '../../engine/queue-events.js';
import type { QueueReference } from '../interfaces/processor-options.interface.js';
import { QUEUE_EVENT_METADATA, QUEUE_EVENTS_LISTENER_METADATA } from '../queue.constants.js';
import { appendMethodMetadata } from './metadata.js';
import { queueReference } from './queue-reference.js';

/** QueueEvents options a listener may set; connection and prefix come from the module. */
export type QueueEventsListenerOptions = Pick<QueueEventsOptions, 'blockingTimeout'>;

/** What `@QueueEventsListener` stores on the class. */
export interface QueueEventsListenerMetadata extends QueueReference {
  options: QueueEventsListenerOptions;
}

/**
 * The listener signatures of QueueEvents' events, under the decorator's name: the package root
 * exports one `QueueEventsListener`, a type in type positions (as BullMQ's) and the decorator in
 * value positions (as @nestjs/bullmq's).
 */
export type QueueEventsListener = QueueEventsListenerMap;

/**
 * Marks a provider as a listener of a queue's global events (from every worker and producer, read
 * from Redis). Listeners of one queue and connection share one QueueEvents.
 */
export function QueueEventsListener(queue: string | QueueReference, options: QueueEventsListenerOptions = {}): ClassDecorator {
  const metadata: QueueEventsListenerMetadata = { ...queueReference('@QueueEventsListener', queue), options };
  return SetMetadata(QUEUE_EVENTS_LISTENER_METADATA, metadata);
}

/**
 * Calls this method with the event's `(args, id)` (`drained`: `(id)`); `name` may be `<event>:<jobId>`.
 * A method that throws (or rejects) is logged; the reader goes on.
 */
export function OnQueueEvent(event: string): MethodDecorator {
  if (typeof event !== 'string' || event.length === 0) {
    throw new ConveyorValidationError(`@OnQueueEvent takes an event name, got ${show(event)}`);
  }
  return appendMethodMetadata(QUEUE_EVENT_METADATA, event);
}
