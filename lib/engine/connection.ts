import { EventEmitter } from 'node:events';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import {
  describeCluster,
  duplicateCluster,
  isClusterClient,
  isClusterOptions,
  openCluster,
  type ClusterConnectionOptions,
} from './cluster.js';
import { ConveyorConnectionError, ConveyorValidationError } from './errors.js';

/**
 * What users may pass as `connection`: ioredis options, a `redis://` / `rediss://` URL, an
 * existing client, or a Redis Cluster: an ioredis `Cluster` instance or
 * `{ cluster: { nodes: [{ host, port }, ...], options?: ClusterOptions } }` (see cluster.ts; queue
 * keys need a hash tag, `{...}`, in the prefix or the queue name there). A client is recognised by
 * its shape, not `instanceof`, because apps often hold another copy or major version of ioredis
 * than ours.
 */
export type ConnectionOptions = RedisOptions | string | RedisClient | ClusterConnectionOptions;

/** The part of an ioredis client the engine relies on: a plain client or a cluster one. */
export type RedisClient = Redis | Cluster;

export function isRedisClient(value: unknown): value is RedisClient {
  if (isClusterClient(value)) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
    'status' in value &&
    'options' in value
  );
}

/** First reconnect within tens of ms, then a capped exponential backoff. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(20 * 2 ** Math.max(0, attempt - 1), 1000);
}

const OWN_DEFAULTS: RedisOptions = {
  retryStrategy: reconnectDelayMs,
  // Never queue commands behind a dead connection forever: a command waits at most
  // connectTimeout for the connection (see whenReady) and is not replayed later.
  enableOfflineQueue: true,
  maxRetriesPerRequest: 20,
  lazyConnect: false,
};

/** A connection we hold: `owned` ones are closed by us, a client the user passed never is. */
export interface HeldConnection {
  client: RedisClient;
  owned: boolean;
}

export function openConnection(connection: ConnectionOptions | undefined, extra: RedisOptions = {}): HeldConnection {
  if (isRedisClient(connection)) return { client: connection, owned: false };
  if (isClusterOptions(connection)) return { client: openCluster(connection, OWN_DEFAULTS, extra), owned: true };
  if (connection !== undefined && typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new ConveyorValidationError(
      `connection must be ioredis options, a redis:// URL or an ioredis client; got ${describe(connection)}`,
    );
  }
  const client =
    typeof connection === 'string'
      ? new Redis(connection, { ...OWN_DEFAULTS, ...extra })
      : new Redis({ ...OWN_DEFAULTS, ...(connection ?? {}), ...extra });
  return { client, owned: true };
}

/** A second connection to the same server with the same settings (for blocking commands). */
export function duplicateConnection(client: RedisClient, extra: RedisOptions = {}): RedisClient {
  if (isClusterClient(client)) return duplicateCluster(client, { retryStrategy: reconnectDelayMs, ...extra });
  return client.duplicate({ retryStrategy: reconnectDelayMs, ...extra });
}

/** `host:port` of a client (or the nodes of a cluster), never its password. */
export function describeServer(client: RedisClient): string {
  if (isClusterClient(client)) return describeCluster(client);
  const o = client.options ?? {};
  if (o.path) return o.path;
  return `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}

/** Strips anything that looks like credentials from an error text. */
export function redact(text: string): string {
  return text.replace(/(rediss?:\/\/)([^@/\s]*)@/gi, '$1***@').replace(/(AUTH\s+)\S+(\s+\S+)?/gi, '$1***');
}

/**
 * Resolves once the client can take commands; rejects with a clear error after `timeoutMs`
 * (default: the client's connectTimeout, else 10 s) instead of letting a command hang.
 */
export async function whenReady(client: RedisClient, timeoutMs?: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') void client.connect().catch(() => {});
  const cluster = isClusterClient(client);
  const reconnects = cluster ? client.options?.clusterRetryStrategy : client.options?.retryStrategy;
  if (client.status === 'end' || client.status === 'close' && !reconnects) {
    throw new ConveyorConnectionError(`Connection to Redis at ${describeServer(client)} is closed`);
  }
  const limit = timeoutMs ?? (cluster ? client.options?.redisOptions?.connectTimeout : client.options?.connectTimeout) ?? 10_000;
  const emitter = client as unknown as EventEmitter;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off('ready', onReady);
      emitter.off('error', onError);
      emitter.off('end', onEnd);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(new ConveyorConnectionError(`Connection to Redis at ${describeServer(client)} was closed`));
    };
    const timer = setTimeout(() => {
      cleanup();
      const why = lastError ? `: ${redact(lastError.message)}` : '';
      reject(
        new ConveyorConnectionError(
          `Redis at ${describeServer(client)} is unreachable (no connection within ${limit} ms)${why}`,
          { cause: lastError },
        ),
      );
    }, limit);
    emitter.on('ready', onReady);
    emitter.on('error', onError);
    emitter.on('end', onEnd);
    if (client.status === 'ready') onReady();
  });
}

export async function closeConnection(held: HeldConnection | undefined, force = false): Promise<void> {
  if (!held || !held.owned) return;
  const { client } = held;
  if (client.status === 'end') return;
  if (force || client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
