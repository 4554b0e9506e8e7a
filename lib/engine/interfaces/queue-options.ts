/**
 * Option types bullmq 6.7 exports by name, defined as views of Conveyor's own option types where
 * those exist (one definition each).
 */
import type { QueueBaseOptions } from '../options.js';
import type { ObliterateOptions } from '../queue-admin.js';
import type { SandboxOptions } from '../sandbox/sandbox-options.js';
import type { WorkerOptions } from '../worker/options.js';

/** The Redis key prefix option (`prefix`, default `bull`). */
export interface KeyPrefixOptions {
  prefix?: string;
}

/** @deprecated bullmq's older name of KeyPrefixOptions. */
export type RedisKeyPrefixOptions = KeyPrefixOptions;

/** A worker's `limiter`: at most `max` jobs started per `duration` ms, across the queue's workers. */
export interface RateLimiterOptions {
  max: number;
  duration: number;
}

/** A worker's `settings`: its custom backoff strategy (and the repeat settings, if any). */
export type AdvancedOptions = NonNullable<WorkerOptions['settings']>;

/** The options of bullmq's job scheduler class: a queue's base options and its repeat settings. */
export type RepeatBaseOptions = QueueBaseOptions & { settings?: Omit<AdvancedOptions, 'backoffStrategy'> };

/** `queue.obliterate(opts)`. */
export type ObliterateOpts = ObliterateOptions;

/** How a processor given as a file runs: child processes or worker threads, and their options. */
export type SandboxedOptions = SandboxOptions;

/** The server a connection reached, as bullmq tells them apart. */
export type DatabaseType = 'redis' | 'valkey' | 'dragonfly';

/** bullmq's roles of the connections it opens (the blocking one and the one for commands). */
export enum ClientType {
  blocking = 'blocking',
  normal = 'normal',
}

/** A legacy (BullMQ 5) repeatable job's settings, as its key encodes them. */
export type RepeatableOptions = {
  name: string;
  startDate?: number;
  endDate?: number;
  tz?: string;
  limit?: number;
  pattern?: string;
  every?: number;
  offset?: number;
};

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
