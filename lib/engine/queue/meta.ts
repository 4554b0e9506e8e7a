import type { RedisClient } from '../connection/connection.js';
import type { QueueKeys } from '../core/keys.js';

/** The queue settings stored in its `meta` hash (wire-format §5), as BullMQ's getMeta gives them. */
export interface QueueMeta {
  concurrency?: number;
  max?: number;
  duration?: number;
  maxLenEvents?: number;
  paused?: boolean;
  /** `<library>:<version>` of the last Queue constructed on it, e.g. `bullmq-conveyor:1.0.0`. */
  version?: string;
}

const NUMERIC: Record<string, keyof QueueMeta> = {
  concurrency: 'concurrency',
  max: 'max',
  duration: 'duration',
  'opts.maxLenEvents': 'maxLenEvents',
};

/**
 * Reads the meta hash: numbers as numbers, `paused` as a boolean (false when absent, whoever
 * paused the queue), fields BullMQ does not report left out.
 */
export async function readMeta(client: RedisClient, keys: QueueKeys): Promise<QueueMeta> {
  const hash = await client.hgetall(keys.meta);
  const meta: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(hash)) {
    if (field === 'version') meta.version = value;
    else if (field in NUMERIC) meta[NUMERIC[field]] = Number(value);
  }
  meta.paused = 'paused' in hash;
  return meta as QueueMeta;
}
