import { type EventEmitter } from 'node:events';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { ConveyorConnectionError, ConveyorValidationError } from '../core/errors.js';
import { retryDelayMs } from '../core/timing.js';
import {
  describeCluster,
  duplicateCluster,
  isClusterClient,
  isClusterOptions,
  openCluster,
  type ClusterConnectionOptions,
} from './cluster.js';
import type { IRedisClient } from './redis-client.js';
import type { ClusterOptions, RedisConnectionClient, RedisOptions as BullRedisOptions } from './redis-options.js';

/**
 * What users may pass as `connection`: ioredis options, a `redis://` / `rediss://` URL (alone, or
 * as `{ url, ...ioredis options }` for what a URL cannot carry, such as `tls: { ca }`), an
 * existing client, or a Redis Cluster: an ioredis `Cluster` instance or
 * `{ cluster: { nodes: [{ host, port }, ...], options?: ClusterOptions } }` (see cluster.ts; queue
 * keys need a hash tag, `{...}`, in the prefix or the queue name there). A client is recognised by
 * its shape, not `instanceof`, because apps often hold another copy or major version of ioredis
 * than ours.
 *
 * The type also takes everything bullmq 6.7's `ConnectionOptions` takes (its RedisOptions,
 * ClusterOptions, IRedisClient and RedisConnectionClient), so code typed against bullmq compiles.
 * At run time a client must be ioredis underneath (bullmq's `createIORedisClient(redis)` is);
 * other clients are refused with a ConveyorValidationError (see isRedisClient).
 */
export type ConnectionOptions =
  | RedisOptions
  | UrlConnectionOptions
  | string
  | RedisClient
  | ClusterConnectionOptions
  | BullRedisOptions
  | ClusterOptions
  | IRedisClient
  | RedisConnectionClient;

/** A URL with ioredis options on top: `{ url: 'rediss://user:pw@host:6380', tls: { ca } }`. */
export interface UrlConnectionOptions extends RedisOptions {
  url: string;
}

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

/** Methods by which an object passed as `connection` is taken for a client rather than options. */
const CLIENT_METHODS = ['duplicate', 'connect', 'disconnect', 'quit', 'sendCommand', 'send', 'runCommand'];

/**
 * The client itself if it is ioredis underneath, which the engine needs (EVALSHA with ioredis'
 * argument forms, its pipelines, reconnects and statuses). bullmq's `createIORedisClient` wrapper
 * passes every call it does not reshape on to the ioredis client, so it is; bullmq's adapters for
 * node-redis, Bun and Valkey GLIDE implement the same IRedisClient over other libraries and are
 * not. Those are refused here, at construction, rather than failing on their first command.
 */
function drivableClient(value: object): RedisClient {
  const c = value as Record<string, unknown>;
  if (isRedisClient(value) && typeof c.evalsha === 'function' && typeof c.sendCommand === 'function') return value;
  throw new ConveyorValidationError(
    "connection must be an ioredis client (a Redis or Cluster instance, or bullmq's createIORedisClient() around one), " +
      "ioredis options or a redis:// URL; got a client without ioredis' commands " +
      "(clients of node-redis, Bun or Valkey GLIDE, and bullmq's adapters for them, are not supported)",
  );
}

/** An object with a client's methods: it is checked as a client, never read as options. */
function looksLikeClient(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return CLIENT_METHODS.some((m) => typeof (value as Record<string, unknown>)[m] === 'function');
}

/**
 * Reconnect attempts: the first after 10 ms, then at most 50 ms apart, so a killed connection or a
 * restarted Redis is in use again within tens of ms (the chaos suite's target is 100 ms). A refused
 * attempt costs little; its repeated error is emitted once a second (isTransientRedisError).
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempt - 1), 50);
}

const OWN_DEFAULTS: RedisOptions = {
  retryStrategy: reconnectDelayMs,
  // A command issued while the connection is down waits through about 10 s of reconnect attempts
  // (200 at the cadence above), then fails; callers that need a shorter bound use whenReady. A
  // command in flight when the connection drops is sent again after the reconnect (ioredis'
  // autoResendUnfulfilledCommands: turned off, such commands never settle at all).
  enableOfflineQueue: true,
  maxRetriesPerRequest: 200,
  // While a restarted Redis loads its data set, look again every 20 ms: ioredis otherwise waits
  // for the server's estimate, a second at least, long after a small data set is loaded.
  maxLoadingRetryTime: 20,
  lazyConnect: false,
};

const TRANSIENT_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
];
// Matched in the text too: an error from another realm (a test VM) reaches us as `new Error(String(err))`,
// its code only in the message, after an "Error: " prefix.
const TRANSIENT_TEXT = new RegExp(
  '^(?:\\w*Error: )?(?:(?:LOADING|OOM|BUSY|MISCONF|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\\b|Connection is closed|' +
    "Reached the max retries per request limit|Stream isn't writeable|Command timed out)" +
    `|\\b(?:${TRANSIENT_CODES.join('|')})\\b`,
);

/**
 * Errors that say something about the server or the connection (away, loading, out of memory,
 * read-only) rather than about one job or one call: they repeat for as long as their cause lasts.
 */
export function isTransientRedisError(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    err instanceof ConveyorConnectionError ||
    err.name === 'ConveyorConnectionError' ||
    (typeof code === 'string' && TRANSIENT_CODES.includes(code)) ||
    TRANSIENT_TEXT.test(err.message)
  );
}

const REFUSAL_TEXT = /^(?:\w*Error: )?(?:LOADING|OOM|BUSY|MISCONF|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS)\b/;
/** How often a call Redis refused is tried again (see retryDelayAfter). */
export const REFUSAL_RETRY_MS = 50;

/**
 * Backoff before trying a failed call again. Redis answering with a refusal (out of memory, busy,
 * read-only...) costs it almost nothing to repeat, and the refusal ends at a moment nobody tells
 * us about: try every REFUSAL_RETRY_MS so work resumes within that of Redis accepting writes
 * again (the repeated error is emitted once a second, not per try). Anything else backs off.
 */
export function retryDelayAfter(err: unknown, failures: number): number {
  return isRedisRefusal(err) ? Math.min(REFUSAL_RETRY_MS, retryDelayMs(failures)) : retryDelayMs(failures);
}

/**
 * Redis answered the call with an error (ioredis's ReplyError): its reply was read. Any other
 * failure (a dropped connection, a timeout) may hide a call Redis ran.
 */
export function isRedisReply(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ReplyError';
}

/** Redis answered, refusing the call for a server-wide reason that passes (OOM, BUSY, LOADING...). */
export function isRedisRefusal(err: unknown): boolean {
  return err instanceof Error && REFUSAL_TEXT.test(err.message);
}

/** A connection we hold: `owned` ones are closed by us, a client the user passed never is. */
export interface HeldConnection {
  client: RedisClient;
  owned: boolean;
}

export function openConnection(connection: ConnectionOptions | undefined, extra: RedisOptions = {}): HeldConnection {
  if (isRedisClient(connection) || looksLikeClient(connection)) return { client: drivableClient(connection as object), owned: false };
  if (isClusterOptions(connection)) return { client: openCluster(connection, OWN_DEFAULTS, extra), owned: true };
  if (connection !== undefined && typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new ConveyorValidationError(
      `connection must be ioredis options, a redis:// URL or an ioredis client; got ${describe(connection)}`,
    );
  }
  if (typeof connection === 'string') return { client: fromUrl(connection, { ...OWN_DEFAULTS, ...extra }), owned: true };
  if (connection !== undefined && 'url' in connection) {
    const { url, ...options } = connection as UrlConnectionOptions;
    if (typeof url !== 'string')
      throw new ConveyorValidationError(`connection.url must be a redis:// or rediss:// URL, got ${describe(url)}`);
    return { client: fromUrl(url, { ...OWN_DEFAULTS, ...options, ...extra }), owned: true };
  }
  return { client: new Redis({ ...OWN_DEFAULTS, ...(connection ?? {}), ...extra }), owned: true };
}

/** A client for a URL; a URL that does not parse is named without its credentials (nor kept as a cause). */
function fromUrl(url: string, options: RedisOptions): Redis {
  try {
    return new Redis(url, options);
  } catch (err) {
    // Node's URL errors come from its own realm (instanceof Error fails under a VM): read the message
    const message = (err as { message?: unknown } | undefined)?.message;
    const why = typeof message === 'string' ? redact(message) : 'it does not parse';
    throw new ConveyorValidationError(`connection URL ${redact(url)} is not a valid redis:// or rediss:// URL: ${why}`);
  }
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
  // up to the last @ of the authority: a password may hold an @ of its own
  return text.replace(/(rediss?:\/\/)[^/\s]*@/gi, '$1***@').replace(/(AUTH\s+)\S+(\s+\S+)?/gi, '$1***');
}

/** Commands whose arguments carry a password (HELLO: `HELLO 3 AUTH user pass`). */
const SECRET_COMMANDS = new Set(['auth', 'hello', 'migrate']);

/**
 * The same error, made safe to log: its message and stack redacted, and the arguments of an AUTH
 * or HELLO it carries (ioredis attaches the failed command, password included, to a WRONGPASS
 * error, and loggers print it) replaced; likewise down its `cause` chain.
 */
export function redactError<E extends Error>(err: E): E {
  // by shape: socket errors come from Node's own realm, where instanceof Error fails under a VM
  for (let e: unknown = err, depth = 0; isErrorLike(e) && depth < 8; e = e.cause, depth++) {
    e.message = redact(e.message);
    if (typeof e.stack === 'string') e.stack = redact(e.stack);
    const command = e.command;
    if (command && typeof command.name === 'string' && SECRET_COMMANDS.has(command.name.toLowerCase())) {
      command.args = ['***'];
    }
  }
  return err;
}

interface ErrorLike {
  message: string;
  stack?: unknown;
  cause?: unknown;
  command?: { name?: unknown; args?: unknown };
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** The wait in progress per client, for callers that take the default timeout. */
const pendingWaits = new WeakMap<RedisClient, Promise<void>>();

/**
 * Resolves once the client can take commands; rejects with a clear error after `timeoutMs`
 * (default: the client's connectTimeout, else 10 s) instead of letting a command hang. Calls made
 * while one wait is in progress share it: hundreds of calls right after `new Queue()` add one set
 * of listeners to the client, not one each (which Node reports as a listener leak past ten).
 */
export function whenReady(client: RedisClient, timeoutMs?: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (timeoutMs !== undefined) return waitForReady(client, timeoutMs);
  let wait = pendingWaits.get(client);
  if (!wait) {
    wait = waitForReady(client).finally(() => pendingWaits.delete(client));
    pendingWaits.set(client, wait);
  }
  return wait;
}

/** How many distinct connect errors an unreachable-Redis message quotes. */
const MAX_REASONS = 3;

async function waitForReady(client: RedisClient, timeoutMs?: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') void client.connect().catch(() => {});
  const cluster = isClusterClient(client);
  const reconnects = cluster ? client.options?.clusterRetryStrategy : client.options?.retryStrategy;
  if (client.status === 'end' || (client.status === 'close' && !reconnects)) {
    throw new ConveyorConnectionError(`Connection to Redis at ${describeServer(client)} is closed`);
  }
  const limit = timeoutMs ?? (cluster ? client.options?.redisOptions?.connectTimeout : client.options?.connectTimeout) ?? 10_000;
  const emitter = client as unknown as EventEmitter;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    // every distinct reason, in order: a retry can fail differently from the attempt that says why
    // (a TLS handshake cut short by the timeout after a certificate refusal, say)
    const reasons: string[] = [];
    const onError = (err: Error) => {
      lastError = err;
      const reason = redact(err.message);
      if (!reasons.includes(reason) && reasons.length < MAX_REASONS) reasons.push(reason);
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
      const why = reasons.length > 0 ? `: ${reasons.join('; then ')}` : '';
      reject(
        new ConveyorConnectionError(`Redis at ${describeServer(client)} is unreachable (no connection within ${limit} ms)${why}`, {
          cause: lastError && redactError(lastError),
        }),
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
