import { QueueBase, type QueueBaseOptions } from '../connection/queue-base.js';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';

export type QueueEventsProducerOptions = QueueBaseOptions;

/** Events kept in the stream after a publish, about (XADD MAXLEN ~), unless publishEvent says otherwise. */
export const DEFAULT_MAX_PUBLISHED_EVENTS = 1000;

function checkPayload(argsObj: unknown): asserts argsObj is { eventName: string } & Record<string, unknown> {
  if (typeof argsObj !== 'object' || argsObj === null || Array.isArray(argsObj)) {
    throw new ConveyorValidationError(`publishEvent takes an object { eventName, ...fields }, got ${show(argsObj)}`);
  }
  const { eventName, ...fields } = argsObj as Record<string, unknown>;
  if (typeof eventName !== 'string' || eventName === '') {
    throw new ConveyorValidationError(`eventName must be a non-empty string (the name QueueEvents emits), got ${show(eventName)}`);
  }
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || value === null) {
      throw new ConveyorValidationError(`publishEvent field "${field}" must have a value (a stream entry cannot hold ${show(value)})`);
    }
  }
}

/**
 * Publishes custom events to a queue's event stream, where every QueueEvents of the queue (BullMQ's
 * too) emits them under their `eventName` with the other fields as the payload, as BullMQ's
 * QueueEventsProducer does. Values are written as text (`String(value)`), as BullMQ writes them.
 */
export class QueueEventsProducer extends QueueBase {
  readonly opts: QueueEventsProducerOptions;

  constructor(name: string, opts: QueueEventsProducerOptions = {}) {
    super(name, opts);
    this.opts = opts;
  }

  /** Adds one entry `event=<eventName>` plus the other fields; keeps about `maxEvents` entries. */
  async publishEvent<T extends { eventName: string }>(argsObj: T, maxEvents = DEFAULT_MAX_PUBLISHED_EVENTS): Promise<void> {
    checkPayload(argsObj);
    checkInteger('maxEvents', maxEvents, 0);
    const { eventName, ...fields } = argsObj as Record<string, unknown>;
    const flat: string[] = ['event', eventName as string];
    for (const [field, value] of Object.entries(fields)) flat.push(field, String(value));
    await (await this.client).xadd(this.keys.events, 'MAXLEN', '~', maxEvents, '*', ...flat);
  }

  /** Closes the connection it opened (a client the user passed stays open). */
  async close(): Promise<void> {
    if (!this.closing) this.closing = this.closeConnection();
    return this.closing;
  }
}
