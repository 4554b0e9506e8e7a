import type { ConnectionOptions } from '../connection/connection.js';
import type { QueueBaseOptions } from '../connection/queue-base.js';
import type { JobsOptions } from '../core/job-options.js';
import type { AdvancedRepeatOptions } from '../scheduler/repeat-options.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { ObliterateOptions } from './admin.js';

export interface QueueOptions<ConnectionOptionsType = ConnectionOptions> extends QueueBaseOptions<ConnectionOptionsType> {
  defaultJobOptions?: JobsOptions;
  /**
   * Backoff type names, besides fixed/exponential/custom, that workers of this queue know. When
   * listed, a job whose backoff type is none of them is refused at add; unlisted, any name goes to
   * the worker's settings.backoffStrategy, as in BullMQ.
   */
  customBackoffTypes?: string[];
  /**
   * Check every job option's type and range, and refuse unknown option names, before an add
   * (BullMQ checks only a few things and stores the rest as given). Also checks defaultJobOptions
   * at construction. @default false
   */
  strictJobOptions?: boolean;
  streams?: { events?: { maxLen?: number } };
  /** Do not write `meta.version` / `meta.opts.maxLenEvents` on construction. */
  skipMetasUpdate?: boolean;
  /** Trace adds (`add`/`addBulk` spans); the jobs carry the context to the worker. */
  telemetry?: Telemetry;
  /** `repeatStrategy`: computes job schedulers' `pattern` times instead of cron-parser. */
  settings?: AdvancedRepeatOptions;
}

/** `queue.obliterate(opts)`. */
export type ObliterateOpts = ObliterateOptions;
