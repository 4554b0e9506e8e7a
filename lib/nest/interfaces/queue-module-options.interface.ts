import type { ConnectionOptions } from '../../engine/connection.js';
import type { JobsOptions } from '../../engine/options.js';

/** What `QueueModule.forRoot` takes (or a `forRootAsync` factory returns). */
export interface QueueModuleOptions {
  /** ioredis options, a `redis://` URL, or an ioredis client (which we never close). */
  connection?: ConnectionOptions;
  /** Key prefix of every queue on this connection. @default 'bull' */
  prefix?: string;
  /** Merged under each queue's own `defaultJobOptions`. */
  defaultJobOptions?: JobsOptions;
  /** How long shutdown waits for active jobs before handing them back to wait, ms. @default 30000 */
  shutdownTimeoutMs?: number;
  /** `false`: no workers on this connection (a producer-only process). @default true */
  workers?: boolean;
}

/** Options of `forRoot` / `forRootAsync` that shape the module itself rather than the connection. */
export interface QueueModuleExtras {
  /** Names this connection; queues and processors pick it with the same `configKey`. @default 'default' */
  configKey?: string;
}

/** A class that `forRootAsync({ useClass | useExisting })` asks for the options. */
export interface QueueModuleOptionsFactory {
  createQueueModuleOptions(): QueueModuleOptions | Promise<QueueModuleOptions>;
}
