/** Defaults and limits shared by the engine's parts (BullMQ's values). */

/** The key prefix when none is given: BullMQ's, so both engines share queues. */
export const DEFAULT_PREFIX = 'bull';
/** The highest job priority value (the lowest urgency); 0 is no priority. */
export const MAX_PRIORITY = 2_097_151;
/** About how many entries a queue's events stream keeps, unless `streams.events.maxLen` says. */
export const DEFAULT_MAX_LEN_EVENTS = 10_000;

/** The Worker's defaults, in one place (BullMQ's values and units); a job moved by hand uses them too. */
export const WORKER_DEFAULTS = {
  concurrency: 1,
  lockDuration: 30_000,
  stalledInterval: 30_000,
  maxStalledCount: 1,
  drainDelay: 5,
  maximumRateLimitDelay: 30_000,
};
