import { SetMetadata } from '@nestjs/common';
import { ConveyorValidationError, type QueueEventsListener as QueueEventsListenerMap } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import type { NestQueueEventOptions, QueueReference } from '../interfaces/processor-options.interface.js';
import { QUEUE_EVENT_METADATA, QUEUE_EVENTS_LISTENER_METADATA } from '../queue.constants.js';
import { appendMethodMetadata } from './metadata.js';
import { queueReference } from './queue-reference.js';

/** What `@QueueEventsListener` stores on the class. */
export interface QueueEventsListenerMetadata extends QueueReference {
  options: NestQueueEventOptions;
}

/** What `@OnQueueEvent` is given (@nestjs/bullmq's shape). */
export interface OnQueueEventMetadata {
  eventName: keyof QueueEventsListenerMap;
}

/**
 * The listener signatures of QueueEvents' events, under the decorator's name: the package root
 * exports one `QueueEventsListener`, a type in type positions (as BullMQ's) and the decorator in
 * value positions (as @nestjs/bullmq's).
 */
export type QueueEventsListener<ReturnType = any> = QueueEventsListenerMap<ReturnType>;

/**
 * Marks a provider as a listener of a queue's global events (from every worker and producer, read
 * from Redis). Listeners of one queue and connection without options of their own share one
 * QueueEvents; options (say `lastEventId` or `autorun: false`) give the listener one of its own.
 * Extending `QueueEventsHost` gives the class its QueueEvents as `this.queueEvents`.
 */
export function QueueEventsListener(queue: string | QueueReference, queueEventsOptions: NestQueueEventOptions = {}): ClassDecorator {
  if (typeof queueEventsOptions !== 'object' || queueEventsOptions === null) {
    throw new ConveyorValidationError(`@QueueEventsListener: options must be an object, got ${show(queueEventsOptions)}`);
  }
  const metadata: QueueEventsListenerMetadata = { ...queueReference('@QueueEventsListener', queue), options: queueEventsOptions };
  return SetMetadata(QUEUE_EVENTS_LISTENER_METADATA, metadata);
}

/**
 * Calls this method with the event's `(args, id)` (`drained`: `(id)`); `name` may be `<event>:<jobId>`.
 * A method that throws (or rejects) is logged; the reader goes on.
 */
export function OnQueueEvent(eventName: keyof QueueEventsListenerMap | (string & {})): MethodDecorator {
  if (typeof eventName !== 'string' || eventName.length === 0) {
    throw new ConveyorValidationError(`@OnQueueEvent takes an event name, got ${show(eventName)}`);
  }
  return appendMethodMetadata(QUEUE_EVENT_METADATA, eventName);
}
