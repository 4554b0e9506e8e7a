import type { RedisClient } from '../connection/connection.js';
import { ConveyorValidationError } from '../core/errors.js';
import { METRICS_DATA, type QueueKeys } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';

/**
 * Data point counts for common spans of time (one data point per minute), e.g. as
 * `metrics.maxDataPoints`. The same values as BullMQ's `MetricsTime`.
 */
export enum MetricsTime {
  ONE_MINUTE = 1,
  FIVE_MINUTES = 5,
  FIFTEEN_MINUTES = 15,
  THIRTY_MINUTES = 30,
  ONE_HOUR = 60,
  ONE_WEEK = 10080,
  TWO_WEEKS = 20160,
  ONE_MONTH = 80640,
}

/** Worker option `metrics`: record per-minute counts of finished jobs (wire-format §10.4). */
export interface MetricsOptions {
  /**
   * Data points (minutes) kept per target; without it nothing is recorded, as in BullMQ.
   * E.g. `MetricsTime.ONE_WEEK`.
   */
  maxDataPoints?: number;
}

/** What `Queue.getMetrics` resolves with (BullMQ's shape). */
export interface Metrics {
  meta: {
    /** Jobs finished since metrics began. */
    count: number;
    /** When the last data point was taken (ms; 0 = never). */
    prevTS: number;
    /** `count` at the last data point. */
    prevCount: number;
  };
  /** Jobs finished per minute, newest first. */
  data: number[];
  /** How many data points are stored. */
  count: number;
}

export type MetricsType = 'completed' | 'failed';

const METRICS_OPTION_KEYS = ['maxDataPoints'];

export function checkMetricsOptions(value: unknown): asserts value is MetricsOptions | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConveyorValidationError(`metrics must be { maxDataPoints }, got ${show(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined && !METRICS_OPTION_KEYS.includes(key)) {
      throw new ConveyorValidationError(`metrics.${key} is not a known option (maxDataPoints), got ${show(v)}`);
    }
  }
  const { maxDataPoints } = value as MetricsOptions;
  if (maxDataPoints !== undefined) checkInteger('metrics.maxDataPoints', maxDataPoints, 1);
}

/** The finish script's metrics argument: 0 = record nothing. */
export function maxDataPointsArg(metrics: MetricsOptions | undefined): number {
  return metrics?.maxDataPoints ?? 0;
}

/** Reads `metrics:<type>` and a range of its data points (LRANGE indexes, newest first) at once. */
export async function readMetrics(
  host: { readonly client: Promise<RedisClient>; readonly keys: QueueKeys },
  type: unknown,
  start: unknown,
  end: unknown,
): Promise<Metrics> {
  if (type !== 'completed' && type !== 'failed') {
    throw new ConveyorValidationError(`metrics type must be 'completed' or 'failed', got ${show(type)}`);
  }
  checkInteger('start', start, Number.MIN_SAFE_INTEGER);
  checkInteger('end', end, Number.MIN_SAFE_INTEGER);
  const { keys } = host;
  const metricsKey = keys.family('metrics', type);
  const dataKey = metricsKey + METRICS_DATA;
  const replies = await (
    await host.client
  )
    .multi()
    .hmget(metricsKey, 'count', 'prevTS', 'prevCount')
    .lrange(dataKey, start as number, end as number)
    .llen(dataKey)
    .exec();
  if (!replies) throw new Error(`reading the ${type} metrics of queue "${keys.queueName}" was aborted`);
  for (const [err] of replies) if (err) throw err;
  const [count, prevTS, prevCount] = replies[0][1] as (string | null)[];
  return {
    meta: { count: toInt(count), prevTS: toInt(prevTS), prevCount: toInt(prevCount) },
    data: (replies[1][1] as string[]).map(toInt),
    count: replies[2][1] as number,
  };
}

function toInt(value: string | null): number {
  return value === null ? 0 : parseInt(value, 10) || 0;
}
