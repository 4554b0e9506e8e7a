import { ConveyorValidationError, type ConnectionOptions, type QueueOptions } from '../engine/index.js';
import { checkInteger, checkPrefix, show, validateJobOptions } from '../engine/internal.js';
import type { BullModuleExtraOptions, QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import { QUEUE_MODULE_DEFAULTS } from './queue.constants.js';
import { UNKNOWN_OPTION } from './queue.messages.js';

/**
 * Which API a forRoot or registration came from. Where @nestjs/bullmq and Conveyor's own module
 * differ, `bullmq` behaves as @nestjs/bullmq does (see docs/compat.md) and `conveyor` keeps the
 * stricter or richer behaviour QueueModule documents.
 */
export type ModuleStyle = 'conveyor' | 'bullmq';

/** Queue options every queue of a connection starts from (its own registration comes on top). */
export type QueueDefaults = Omit<QueueOptions, 'connection'> & { prefix: string };

export interface ResolvedModuleOptions {
  connection?: ConnectionOptions;
  prefix: string;
  defaultJobOptions?: QueueOptions['defaultJobOptions'];
  shutdownTimeoutMs: number;
  workers: boolean;
  queueDefaults: QueueDefaults;
}

/** Conveyor's module options: they shape the module, never a queue. */
const MODULE_ONLY = ['shutdownTimeoutMs', 'workers', 'extraOptions'] as const;

/** Queue options a forRoot passes on to its queues (BullMQ's names, the engine's and BullMQ's own). */
const QUEUE_KEYS = [
  'connection',
  'prefix',
  'defaultJobOptions',
  'customBackoffTypes',
  'streams',
  'skipMetasUpdate',
  'telemetry',
  // BullMQ's, without meaning for this engine: accepted and passed on, as @nestjs/bullmq does
  'skipVersionCheck',
  'blockingConnection',
  'skipWaitingForReady',
  'settings',
] as const;

const KNOWN_OPTIONS: readonly string[] = [...QUEUE_KEYS, ...MODULE_ONLY];

/**
 * Validates forRoot's options (naming the option and value) and merges the defaults, once.
 * `warn` hears of options nobody knows, which the bullmq style passes on instead of refusing.
 */
export function resolveModuleOptions(
  options: QueueModuleOptions | undefined,
  configKey: string,
  style: ModuleStyle = 'conveyor',
  warn: (message: string) => void = () => {},
): ResolvedModuleOptions {
  const where = `${style === 'bullmq' ? 'BullModule' : 'QueueModule'}.forRoot (connection "${configKey}")`;
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new ConveyorValidationError(`${where}: options must be an object, got ${show(options)}`);
  for (const key of Object.keys(options)) {
    if (KNOWN_OPTIONS.includes(key)) continue;
    if (style === 'conveyor') throw new ConveyorValidationError(UNKNOWN_OPTION(where, key, KNOWN_OPTIONS));
    warn(`${UNKNOWN_OPTION(where, key, KNOWN_OPTIONS)}: passed on to the queues as it is`);
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as QueueModuleOptions;
  const { shutdownTimeoutMs, workers, extraOptions: _extra, connection, ...queueOptions } = { ...QUEUE_MODULE_DEFAULTS, ...defined };
  checkPrefix(queueOptions.prefix);
  checkInteger('shutdownTimeoutMs', shutdownTimeoutMs, 0);
  if (typeof workers !== 'boolean') throw new ConveyorValidationError(`${where}: workers must be a boolean, got ${show(workers)}`);
  validateJobOptions(queueOptions.defaultJobOptions, queueOptions.customBackoffTypes);
  return {
    connection,
    prefix: queueOptions.prefix,
    defaultJobOptions: queueOptions.defaultJobOptions,
    shutdownTimeoutMs,
    workers,
    queueDefaults: queueOptions,
  };
}

/** `extraOptions` as given: an object with booleans, or nothing. */
export function checkExtraOptions(extra: unknown, where: string): BullModuleExtraOptions {
  if (extra === undefined || extra === null) return {};
  if (typeof extra !== 'object') throw new ConveyorValidationError(`${where}: extraOptions must be an object, got ${show(extra)}`);
  const { manualRegistration } = extra as BullModuleExtraOptions;
  if (manualRegistration !== undefined && typeof manualRegistration !== 'boolean') {
    throw new ConveyorValidationError(`${where}: extraOptions.manualRegistration must be a boolean, got ${show(manualRegistration)}`);
  }
  return { manualRegistration };
}
