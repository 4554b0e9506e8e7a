import { DEFAULT_PREFIX } from '../engine/internal.js';

/** The connection `forRoot` opens when no `configKey` is given. */
export const DEFAULT_CONFIG_KEY = 'default';

/** Module-level defaults, merged once when a connection is opened (see module-connection.ts). */
export const QUEUE_MODULE_DEFAULTS = {
  /** @default 'bull' (BullMQ's, so both share queues) */
  prefix: DEFAULT_PREFIX,
  /** How long shutdown waits for active jobs before handing them back to wait. @default 30000 */
  shutdownTimeoutMs: 30_000,
  /** Create workers for `@Processor` classes; `false` gives a producer-only instance. @default true */
  workers: true,
} as const;

/**
 * After the shutdown deadline, how long the forced close (abort + hand back to wait) may take
 * before shutdown goes on without it, e.g. when Redis does not answer.
 */
export const FORCED_CLOSE_GRACE_MS = 5_000;

// Metadata keys, namespaced so they never collide with another library's.
export const PROCESSOR_METADATA = 'conveyor:processor';
export const PROCESS_METADATA = 'conveyor:process';
export const WORKER_EVENT_METADATA = 'conveyor:worker-event';
export const QUEUE_EVENTS_LISTENER_METADATA = 'conveyor:queue-events-listener';
export const QUEUE_EVENT_METADATA = 'conveyor:queue-event';
