import { ConveyorValidationError } from '../engine/errors.js';
import { checkInteger, checkPrefix, show, validateJobOptions } from '../engine/options.js';
import type { QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import { QUEUE_MODULE_DEFAULTS } from './queue.constants.js';
import { UNKNOWN_OPTION } from './queue.messages.js';

export type ResolvedModuleOptions = Omit<QueueModuleOptions, keyof typeof QUEUE_MODULE_DEFAULTS> & {
  prefix: string;
  shutdownTimeoutMs: number;
  workers: boolean;
};

const KNOWN_OPTIONS: readonly (keyof QueueModuleOptions)[] = ['connection', 'prefix', 'defaultJobOptions', 'shutdownTimeoutMs', 'workers'];

/** Validates forRoot's options (naming the option and value) and merges the defaults, once. */
export function resolveModuleOptions(options: QueueModuleOptions | undefined, configKey: string): ResolvedModuleOptions {
  const where = `QueueModule.forRoot (connection "${configKey}")`;
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new ConveyorValidationError(`${where}: options must be an object, got ${show(options)}`);
  for (const key of Object.keys(options)) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key)) throw new ConveyorValidationError(UNKNOWN_OPTION(where, key, KNOWN_OPTIONS));
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as QueueModuleOptions;
  const resolved: ResolvedModuleOptions = { ...QUEUE_MODULE_DEFAULTS, ...defined };
  checkPrefix(resolved.prefix);
  checkInteger('shutdownTimeoutMs', resolved.shutdownTimeoutMs, 0);
  if (typeof resolved.workers !== 'boolean') {
    throw new ConveyorValidationError(`${where}: workers must be a boolean, got ${show(resolved.workers)}`);
  }
  validateJobOptions(resolved.defaultJobOptions);
  return resolved;
}
