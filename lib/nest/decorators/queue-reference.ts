import { ConveyorValidationError } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import type { QueueReference } from '../interfaces/processor-options.interface.js';

/**
 * `'name'` or `{ name?, configKey? }`, checked where the decorator is applied. An object without a
 * name means the queue "default", as in @nestjs/bullmq.
 */
export function queueReference(decorator: string, queue: string | { name?: string; configKey?: string }): QueueReference {
  const ref = typeof queue === 'string' ? { name: queue } : queue;
  const name = typeof ref === 'object' && ref !== null && ref.name === undefined ? 'default' : ref?.name;
  if (typeof ref !== 'object' || ref === null || typeof name !== 'string' || name.length === 0) {
    throw new ConveyorValidationError(`${decorator} takes a queue name or { name, configKey }, got ${show(queue)}`);
  }
  if (ref.configKey !== undefined && (typeof ref.configKey !== 'string' || ref.configKey.length === 0)) {
    throw new ConveyorValidationError(`${decorator}: configKey must be a non-empty string, got ${show(ref.configKey)}`);
  }
  return { name, ...(ref.configKey !== undefined ? { configKey: ref.configKey } : {}) };
}
