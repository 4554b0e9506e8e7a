import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the global setup found or started. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Connection options for engine objects under test. */
export function connection(): { host: string; port: number } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** A queue name no other test uses. */
export function uniqueName(label = 'q'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A raw client for assertions on keys; close it in afterAll/afterEach. */
export function rawClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
}

/** Deletes every key of a queue (`<prefix>:<name>:*`). */
export async function removeQueueKeys(client: Redis, name: string, prefix = 'bull'): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:${name}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
}
