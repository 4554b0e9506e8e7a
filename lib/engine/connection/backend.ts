/**
 * bullmq 6.7's names for what every queue object shares: its backend (Redis here), key prefix,
 * connection roles and the events of its connection.
 */
import type { QueueBaseOptions } from './queue-base.js';

/** The Redis key prefix option (`prefix`, default `bull`). */
export interface KeyPrefixOptions {
  prefix?: string;
}

/** @deprecated bullmq's older name of KeyPrefixOptions. */
export type RedisKeyPrefixOptions = KeyPrefixOptions;

/** The server a connection reached, as bullmq tells them apart. */
export type DatabaseType = 'redis' | 'valkey' | 'dragonfly';

/** bullmq's roles of the connections it opens (the blocking one and the one for commands). */
export enum ClientType {
  blocking = 'blocking',
  normal = 'normal',
}

/**
 * bullmq 6.7 classes take the type of their backend (Redis or PostgreSQL) as a type parameter:
 * `new Worker<Data, Result, Name, RedisQueueBackend, Progress>(...)`. Conveyor runs on Redis only,
 * so this type exists for that parameter and names no object.
 */
export interface RedisQueueBackend {
  readonly database: DatabaseType;
}

/**
 * What every queue object (Queue, Worker, QueueEvents...) offers, as bullmq 6.7 types it for
 * helpers that take any of them; without bullmq's `backend` and `trace`, which are its internals.
 */
export interface MinimalQueue {
  readonly name: string;
  /** `<prefix>:<queue>` */
  readonly qualifiedName: string;
  /** The queue's Redis key for `type` (`wait`, `meta`, a job id...). */
  toKey: (type: string) => string;
  opts: QueueBaseOptions;
  closing: Promise<void> | undefined;
  emit(event: string | symbol, ...args: any[]): boolean;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  removeListener(event: string | symbol, listener: (...args: any[]) => void): this;
  waitUntilReady(): Promise<unknown>;
}

/** Emitted by every object with a Redis connection of its own when that connection closes. */
export interface IoredisListener {
  'ioredis:close': () => void;
}
