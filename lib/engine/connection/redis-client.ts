import type { Readable } from 'node:stream';

/**
 * BullMQ 6.7's `IRedisClient`: the client interface its adapters (ioredis, node-redis, Bun...)
 * implement, and what bullmq's `createIORedisClient(redis)` returns. Declared here so code typed
 * against bullmq compiles unchanged: `connection` accepts it.
 *
 * At run time Conveyor drives ioredis itself (Lua by EVALSHA, ioredis' argument forms), so a
 * client passed as `connection` must be ioredis underneath: a `Redis` or `Cluster` instance, or
 * bullmq's ioredis wrapper around one. Other adapters are refused with a clear error when the
 * Queue, Worker... is constructed.
 */
export interface IRedisClient {
  /** `'wait'`, `'connecting'`, `'ready'`, `'end'`... as ioredis names them. */
  status: string;
  readonly isCluster: boolean;
  options: Record<string, any>;
  connect(): Promise<void>;
  disconnect(reconnect?: boolean): void;
  quit(): Promise<string>;
  duplicate(...args: any[]): IRedisClient;
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  removeListener(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  emit(event: string | symbol, ...args: any[]): boolean;
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
  removeAllListeners(event?: string | symbol): this;
  /** Registers a Lua script under `name`, to be run with runCommand. */
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string; readOnly?: boolean }): void;
  /** Runs a script registered with defineCommand; `args` are its KEYS, then its ARGV. */
  runCommand(name: string, args: any[]): Promise<any>;
  multi(): IRedisTransaction;
  pipeline(): IRedisTransaction;
  hgetall(key: string): Promise<Record<string, string>>;
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hset(key: string, data: Record<string, string | number>): Promise<number>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  hexists(key: string, field: string): Promise<number>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string | number, options?: { PX?: number; EX?: number }): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  zrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }): Promise<string[]>;
  zrevrange(key: string, start: number, end: number, options?: { WITHSCORES?: boolean }): Promise<string[]>;
  zcard(key: string): Promise<number>;
  zscore(key: string, member: string): Promise<string | null>;
  lrange(key: string, start: number, end: number): Promise<string[]>;
  llen(key: string): Promise<number>;
  ltrim(key: string, start: number, end: number): Promise<string>;
  lpos(key: string, value: string): Promise<number | null>;
  smembers(key: string): Promise<string[]>;
  xadd(
    key: string,
    id: string,
    fields: Record<string, string | number>,
    options?: { MAXLEN?: number; approximate?: boolean },
  ): Promise<string>;
  xread(streams: { key: string; id: string }[], options?: { BLOCK?: number; COUNT?: number }): Promise<any>;
  xtrim(key: string, strategy: 'MAXLEN', threshold: number, options?: { approximate?: boolean }): Promise<number>;
  /** `[key, member, score]`, or null when the timeout passed (ioredis' own shape). */
  bzpopmin(key: string, timeout: number): Promise<[key: string, member: string, score: string] | null>;
  info(): Promise<string>;
  clientSetName(name: string): Promise<any>;
  clientList(): Promise<string>;
  clientInfo(): Promise<string>;
  scan(cursor: string | number, options: { MATCH?: string; COUNT?: number }): Promise<[string, string[]]>;
  scanStream(options: { match: string; count?: number }): Readable;
  /** The node connections of a cluster client. */
  nodes?(): IRedisClient[];
}

/** BullMQ 6.7's `IRedisTransaction`: a pipeline or MULTI of an IRedisClient. */
export interface IRedisTransaction {
  hgetall(key: string): this;
  hset(key: string, data: Record<string, string | number>): this;
  hscan(key: string, cursor: string | number, options?: { COUNT?: number }): this;
  smembers(key: string): this;
  sscan(key: string, cursor: string | number, options?: { COUNT?: number }): this;
  zrange(key: string, start: number, end: number): this;
  lrange(key: string, start: number, end: number): this;
  llen(key: string): this;
  del(...keys: string[]): this;
  runCommand(name: string, args: any[]): this;
  exec(): Promise<[Error | null, any][] | null>;
}
