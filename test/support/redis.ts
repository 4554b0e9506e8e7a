import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the global setup found or started (engine objects connect as its user, if it names one). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Where tests look at Redis from the outside (assertions, MONITOR, key cleanup): REDIS_URL, unless
 * CONVEYOR_ADMIN_REDIS_URL names an unrestricted user, as the ACL suite does when it runs the engine
 * suites as a user limited to what the engine needs.
 */
export const ADMIN_REDIS_URL = process.env.CONVEYOR_ADMIN_REDIS_URL || REDIS_URL;

/** Connection options for engine objects under test (with REDIS_URL's user and password, if any). */
export function connection(): { host: string; port: number; username?: string; password?: string } {
  return connectionFor(REDIS_URL);
}

function connectionFor(href: string): { host: string; port: number; username?: string; password?: string } {
  const url = new URL(href);
  const credentials = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
  return { host: url.hostname, port: Number(url.port || 6379), ...credentials };
}

/**
 * Connection options as ADMIN_REDIS_URL's user, for fixtures another party writes (bullmq setting
 * up a flow, say): what they need is not what the engine's ACL user is allowed.
 */
export function adminConnection(): { host: string; port: number; username?: string; password?: string } {
  return connectionFor(ADMIN_REDIS_URL);
}

/** A queue name no other test uses. */
export function uniqueName(label = 'q'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A raw client for assertions on keys; close it in afterAll/afterEach. */
export function rawClient(): Redis {
  return new Redis(ADMIN_REDIS_URL, { maxRetriesPerRequest: 3 });
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

/**
 * Takes a running job from its worker as the stalled checker (or another worker) does: lock gone
 * and out of active. Deleting the lock alone is not a lost lock: a lock that ran out while its job
 * stayed in active is still its worker's, and its next renewal takes it again.
 */
export async function takeJobAway(client: Redis, queue: string, jobId: string, prefix = 'bull'): Promise<void> {
  await client.multi().del(`${prefix}:${queue}:${jobId}:lock`).lrem(`${prefix}:${queue}:active`, 0, jobId).exec();
}

/** The entries of a queue's events stream as `{ event, ...fields }`, oldest first. */
export async function streamEvents(client: Redis, queue: string, prefix = 'bull'): Promise<Record<string, string>[]> {
  const entries = await client.xrange(`${prefix}:${queue}:events`, '-', '+');
  return entries.map(([, fields]) => {
    const entry: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
    return entry;
  });
}

/** The event names of a queue's events stream, oldest first. */
export async function streamEventNames(client: Redis, queue: string, prefix = 'bull'): Promise<string[]> {
  return (await streamEvents(client, queue, prefix)).map((entry) => entry.event);
}
