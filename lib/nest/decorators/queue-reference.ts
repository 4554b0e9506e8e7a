import { ConveyorValidationError } from '../../engine/errors.js';
import { show } from '../../engine/options.js';
import type { QueueReference } from '../interfaces/processor-options.interface.js';

/** `'name'` or `{ name, configKey }`, checked where the decorator is applied. */
export function queueReference(decorator: string, queue: string | QueueReference): QueueReference {
  const ref = typeof queue === 'string' ? { name: queue } : queue;
  if (typeof ref !== 'object' || ref === null || typeof ref.name !== 'string' || ref.name.length === 0) {
    throw new ConveyorValidationError(`${decorator} takes a queue name or { name, configKey }, got ${show(queue)}`);
  }
  if (ref.configKey !== undefined && (typeof ref.configKey !== 'string' || ref.configKey.length === 0)) {
    throw new ConveyorValidationError(`${decorator}: configKey must be a non-empty string, got ${show(ref.configKey)}`);
  }
  return { name: ref.name, ...(ref.configKey !== undefined ? { configKey: ref.configKey } : {}) };
}
