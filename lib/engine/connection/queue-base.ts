import { EventEmitter } from 'node:events';
import { DEFAULT_PREFIX } from '../core/defaults.js';
import { QueueKeys } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { checkPrefix, checkQueueName } from '../core/validation.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { checkQueueForCluster } from './cluster.js';
import {
  closeConnection,
  isTransientRedisError,
  openConnection,
  redactError,
  whenReady,
  type HeldConnection,
  type ConnectionOptions,
  type RedisClient,
} from './connection.js';
import { watchEvictionPolicy } from './eviction-policy.js';

/**
 * What Queue, Worker, QueueEvents and FlowProducer share. `ConnectionOptionsType` is bullmq 6.7's
 * type parameter for other backends' connections; Conveyor has only Redis, so it is there for
 * code that names it.
 */
export interface QueueBaseOptions<ConnectionOptionsType = ConnectionOptions> {
  connection?: ConnectionOptionsType;
  /** @default 'bull' (BullMQ's, so both share queues) */
  prefix?: string;
  /** Trace the object's calls (see each class's `telemetry`). */
  telemetry?: Telemetry;
  /** Accepted as bullmq 6.7 takes it; deprecated there and without effect (as here). */
  blockingConnection?: boolean;
  /** BullMQ's switch for its Redis version check; Conveyor has no such check and ignores it. */
  skipVersionCheck?: boolean;
  /**
   * bullmq 6.7 sends commands without waiting for the connection to be ready. Accepted; Conveyor
   * always waits for it (at most the connection's connectTimeout, then a clear error).
   */
  skipWaitingForReady?: boolean;
}

/** A transient error with the same text is emitted at most once in this many ms. */
const TRANSIENT_REPEAT_MS = 1000;

/**
 * What Queue, Worker and QueueEvents share: a validated name and prefix, the queue's keys, and a
 * command connection that is ours to close unless the user passed the client.
 */
export class QueueBase extends EventEmitter {
  readonly name: string;
  readonly prefix: string;
  readonly keys: QueueKeys;
  /**
   * `<prefix>:<queue>:<type>`: the Redis key of one of the queue's structures (`toKey('wait')`) or
   * of a job (`toKey(jobId)`). A property, as BullMQ's, so it also works detached from the queue.
   */
  toKey: (type: string) => string;
  protected readonly connection: HeldConnection;
  /** Set once close() has begun; resolves when it is done. */
  closing: Promise<void> | undefined;

  constructor(name: string, opts: QueueBaseOptions = {}) {
    super();
    checkQueueName(name);
    const prefix = opts.prefix ?? DEFAULT_PREFIX;
    checkPrefix(prefix);
    checkQueueForCluster(opts.connection, prefix, name, new.target.name);
    this.name = name;
    this.prefix = prefix;
    this.keys = new QueueKeys(prefix, name);
    this.toKey = (type: string) => this.keys.key(type);
    this.connection = openConnection(opts.connection);
    if (this.connection.owned) this.connection.client.on('error', (err: Error) => this.emitError(err));
    watchEvictionPolicy(this.connection.client);
  }

  /** `<prefix>:<queue>`: how flows and parents name this queue. */
  get qualifiedName(): string {
    return this.keys.qualifiedName;
  }

  /** The command connection, once it is ready (rejects with a clear error if it cannot be). */
  get client(): Promise<RedisClient> {
    if (this.closing) return Promise.reject(new Error(`${this.constructor.name} "${this.name}" is closed`));
    const client = this.connection.client;
    return client.status === 'ready' ? Promise.resolve(client) : whenReady(client).then(() => client);
  }

  /** Waits until the connection is ready. */
  async waitUntilReady(): Promise<RedisClient> {
    return this.client;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Runs a script on the command connection. */
  async exec(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(await this.client, script, keys, args);
  }

  /**
   * `error` only reaches listeners that exist: an EventEmitter without one would throw and take
   * the process down for a transient Redis hiccup. A transient error (Redis away, loading, out of
   * memory) goes out at most once a second with the same text, however often the connection's
   * reconnect attempts or a caller's retries run into it.
   */
  protected emitError(err: unknown): void {
    const error = redactError(err instanceof Error ? err : new Error(String(err)));
    if (this.listenerCount('error') === 0) return;
    if (isTransientRedisError(error) && this.repeatsRecentError(error)) return;
    this.emit('error', error);
  }

  /** When each transient error text last went out. */
  private readonly transientSeen = new Map<string, number>();

  private repeatsRecentError(error: Error): boolean {
    const key = `${error.name}: ${error.message}`;
    const now = Date.now();
    const last = this.transientSeen.get(key);
    if (last !== undefined && now - last < TRANSIENT_REPEAT_MS) return true;
    // texts carry ports and script hashes, not job ids: a handful at a time
    if (this.transientSeen.size >= 64) this.transientSeen.clear();
    this.transientSeen.set(key, now);
    return false;
  }

  protected async closeConnection(): Promise<void> {
    await closeConnection(this.connection);
  }

  async disconnect(): Promise<void> {
    await closeConnection(this.connection, true);
  }
}
