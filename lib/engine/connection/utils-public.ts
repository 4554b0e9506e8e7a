/**
 * The helper functions bullmq 6.7 exports that applications call, with bullmq's behaviour (checked
 * against bullmq's own in test/interop/public-utils.spec.ts). bullmq's other exported helpers are
 * its internals and are not offered (see docs/compat.md).
 */
import { DEFAULT_PREFIX } from '../core/defaults.js';
import type { ParentOptions } from '../core/job-options.js';
import { sleep } from '../core/timing.js';
import type { IRedisClient } from './redis-client.js';

export { randomUUID } from 'node:crypto';

/**
 * Resolves after `ms` milliseconds, or as soon as `abortController` aborts (it never rejects).
 * An already aborted controller resolves at once (bullmq's waits the full time then).
 */
export function delay(ms: number, abortController?: AbortController): Promise<void> {
  // a caller's own wait, as bullmq's: its timer keeps the process alive
  return sleep(ms, abortController?.signal, true);
}

/** The size of `str` in bytes once encoded as UTF-8 (as Redis and JSON payload limits count it). */
export function lengthInUtf8Bytes(str: string): number {
  return Buffer.byteLength(str, 'utf8');
}

/** `<parent queue>:<parent id>`, the parent's job key, or undefined without a parent. */
export function getParentKey(opts: ParentOptions): string | undefined {
  if (opts) return `${opts.queue}:${opts.id}`;
  return undefined;
}

/** Any Redis library's client, as far as isRedisInstance can tell. */
export type RedisLikeClient = {
  connect(...args: any[]): any;
  disconnect(...args: any[]): any;
  duplicate(...args: any[]): any;
};

/** Whether `obj` is a Redis client (ioredis or an IRedisClient): it can connect, disconnect and duplicate itself. */
export function isRedisInstance(obj: any): obj is IRedisClient | RedisLikeClient {
  if (!obj) return false;
  return ['connect', 'disconnect', 'duplicate'].every((method) => typeof obj[method] === 'function');
}

/** Whether `obj` is a Redis client (see isRedisInstance) of a Redis Cluster. */
export function isRedisCluster(obj: unknown): obj is IRedisClient & { isCluster: true } {
  return isRedisInstance(obj) && (obj as { isCluster?: unknown }).isCluster === true;
}

interface KeyScan {
  on(event: 'data', listener: (keys: string[]) => void): any;
  on(event: 'end', listener: () => void): any;
  on(event: 'error', listener: (error: Error) => void): any;
}

/** The client removeAllQueueData takes: an ioredis client or cluster, or bullmq's IRedisClient. */
export interface RemoveAllQueueDataClient {
  scanStream(options: { match: string; count?: number }): KeyScan;
  pipeline(): { del(...keys: string[]): any; exec(): Promise<any> };
  quit(): Promise<any>;
  isCluster?: boolean;
}

/**
 * Deletes every key of a queue (`<prefix>:<queueName>:*`), then quits `client`, as bullmq's does:
 * pass a client of its own. On a cluster every master is scanned. Glob characters in the prefix or
 * the name match only themselves (bullmq's would also delete other queues' keys that the pattern
 * happens to match).
 */
export async function removeAllQueueData(
  client: RemoveAllQueueDataClient,
  queueName: string,
  prefix: string = DEFAULT_PREFIX,
): Promise<void | boolean> {
  const match = `${escapeGlob(prefix)}:${escapeGlob(queueName)}:*`;
  const nodes = (client as { nodes?: (role: string) => RemoveAllQueueDataClient[] }).nodes;
  const scanned = client.isCluster && typeof nodes === 'function' ? nodes.call(client, 'master') : [client];
  for (const node of scanned) await deleteMatching(node, client, match);
  await client.quit();
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Scans `node` for `match` and deletes what it finds through `client` (which routes each key on a cluster). */
function deleteMatching(node: RemoveAllQueueDataClient, client: RemoveAllQueueDataClient, match: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deletions: Promise<unknown>[] = [];
    const scan = node.scanStream({ match, count: 1000 });
    scan.on('data', (keys: string[]) => {
      if (keys.length === 0) return;
      const pipeline = client.pipeline();
      for (const key of keys) pipeline.del(key);
      deletions.push(pipeline.exec());
    });
    scan.on('error', reject);
    scan.on('end', () => {
      Promise.all(deletions).then(() => resolve(), reject);
    });
  });
}
