import type { RedisClient } from '../connection/connection.js';
import { ConveyorValidationError } from '../core/errors.js';
import type { QueueKeys } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import { QueueGetters } from './getters.js';

/**
 * The counter value a manual rate limit writes (BullMQ's: Number.MAX_SAFE_INTEGER), so the window
 * counts as used up for any max (wire-format §10.2).
 */
const MANUAL_LIMIT_COUNT = Number.MAX_SAFE_INTEGER;

/** What a manual rate limit needs: Queue and Worker both have it. */
interface LimiterHost {
  readonly keys: QueueKeys;
  readonly client: Promise<RedisClient>;
}

/**
 * Starts a manual rate limit of `expireTimeMs` for the whole queue: until it runs out, workers
 * with a limiter (or under a global rate limit) start no job.
 */
export async function setRateLimit(host: LimiterHost, expireTimeMs: unknown): Promise<void> {
  checkInteger('expireTimeMs', expireTimeMs, 1);
  await (await host.client).set(host.keys.limiter, MANUAL_LIMIT_COUNT, 'PX', expireTimeMs as number);
}

function checkDeduplicationId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ConveyorValidationError(`deduplication id must be a non-empty string, got ${show(id)}`);
  }
}

/**
 * Settings of a queue that live in Redis and steer every worker and producer of it, BullMQ's as
 * well as ours: rate limits, global concurrency (meta fields, wire-format §5, §10.2, §10.3) and
 * deduplication keys (§7.2).
 */
export class QueueControls<DataType = any, ResultType = any, NameType extends string = string> extends QueueGetters<
  DataType,
  ResultType,
  NameType
> {
  // ------------------------------------------------------------------------------ rate limit

  /** Holds back every rate-limited worker of the queue for `expireTimeMs` ms. */
  async rateLimit(expireTimeMs: number): Promise<void> {
    return setRateLimit(this, expireTimeMs);
  }

  /**
   * Remaining ms of the current rate limit window once it has used up `maxJobs` (default: the
   * global rate limit's max), else 0. With no max at all it is the limiter's PTTL as Redis gives it
   * (-2 when there is no window, -1 for one without expiry), as in BullMQ: test for `> 0`.
   */
  async getRateLimitTtl(maxJobs?: number): Promise<number> {
    if (maxJobs !== undefined) checkInteger('maxJobs', maxJobs, 1);
    return Number(await this.exec('getRateLimitTtl', [this.keys.meta], [this.keys.base, maxJobs ?? '']));
  }

  /** Ends the current rate limit window at once; resolves with the number of keys deleted. */
  async removeRateLimitKey(): Promise<number> {
    return (await this.client).del(this.keys.limiter);
  }

  // ------------------------------------------------------------------------------ global limits

  /** At most `concurrency` jobs of this queue are active at once, across all workers. */
  async setGlobalConcurrency(concurrency: number): Promise<number> {
    checkInteger('concurrency', concurrency, 1);
    return this.updateLimits('set', ['concurrency', concurrency]);
  }

  async removeGlobalConcurrency(): Promise<number> {
    return this.updateLimits('del', ['concurrency']);
  }

  /** The global concurrency, or null when none is set. */
  async getGlobalConcurrency(): Promise<number | null> {
    const value = await (await this.client).hget(this.keys.meta, 'concurrency');
    return value === null ? null : Number(value);
  }

  /** At most `max` jobs of this queue start per `duration` ms, across all workers. */
  async setGlobalRateLimit(max: number, duration: number): Promise<number> {
    checkInteger('max', max, 1);
    checkInteger('duration', duration, 1);
    return this.updateLimits('set', ['max', max, 'duration', duration]);
  }

  async removeGlobalRateLimit(): Promise<number> {
    return this.updateLimits('del', ['max', 'duration']);
  }

  /** The global rate limit, or null when none is set. */
  async getGlobalRateLimit(): Promise<{ max: number; duration: number } | null> {
    const [max, duration] = await (await this.client).hmget(this.keys.meta, 'max', 'duration');
    return max === null ? null : { max: Number(max), duration: Number(duration) };
  }

  /** True while the global concurrency is reached: workers start nothing until a job finishes. */
  async isMaxed(): Promise<boolean> {
    const client = await this.client;
    const [concurrency, active] = await Promise.all([client.hget(this.keys.meta, 'concurrency'), client.llen(this.keys.active)]);
    return concurrency !== null && active >= Number(concurrency);
  }

  private async updateLimits(mode: 'set' | 'del', fields: (string | number)[]): Promise<number> {
    return Number(await this.exec('updateQueueLimits', [this.keys.meta], [this.keys.base, mode, ...fields]));
  }

  // ------------------------------------------------------------------------------ deduplication

  /** The id of the job that owns `id` (adds with it are deduplicated), or null. */
  async getDeduplicationJobId(id: string): Promise<string | null> {
    checkDeduplicationId(id);
    return (await this.client).get(this.keys.family('dedup', id));
  }

  /** Frees `id` whoever owns it; resolves with the number of keys deleted (0 or 1). */
  async removeDeduplicationKey(id: string): Promise<number> {
    checkDeduplicationId(id);
    return (await this.client).del(this.keys.family('dedup', id));
  }

  /** @deprecated BullMQ's old name: use getDeduplicationJobId. */
  async getDebounceJobId(id: string): Promise<string | null> {
    return this.getDeduplicationJobId(id);
  }

  /** @deprecated BullMQ's old name: use removeDeduplicationKey. */
  async removeDebounceKey(id: string): Promise<number> {
    return this.removeDeduplicationKey(id);
  }
}
