/**
 * The connection option types of bullmq 6.7, by its names. Their index signatures take any further
 * ioredis option, as bullmq's do; Conveyor hands them to ioredis as they are.
 */

export interface BaseOptions {
  /** BullMQ's switch for its server version check; Conveyor has no such check and ignores it. */
  skipVersionCheck?: boolean;
  /** A `redis://` or `rediss://` URL; the other options apply on top of it. */
  url?: string;
}

/** Options of one Redis connection (ioredis' `RedisOptions`; any other ioredis option goes too). */
export interface RedisOptions extends BaseOptions {
  host?: string;
  port?: number;
  family?: number;
  db?: number;
  username?: string;
  password?: string;
  connectionName?: string;
  keyPrefix?: string;
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  retryStrategy?: (times: number) => number | void | null;
  lazyConnect?: boolean;
  tls?: any;
  [key: string]: any;
}

/** ioredis' `ClusterOptions`, as bullmq types them. */
export interface ClusterOptions extends BaseOptions {
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  retryStrategy?: (times: number) => number | void | null;
  lazyConnect?: boolean;
  redisOptions?: RedisOptions;
  scaleReads?: string;
  [key: string]: any;
}

/**
 * A raw client of some Redis library, as bullmq 6.7 types it. Conveyor accepts the type; at run
 * time only ioredis clients (or bullmq's ioredis wrapper) are driven, others are refused clearly.
 */
export interface RedisConnectionClient {
  connect(...args: any[]): any;
  duplicate(...args: any[]): any;
  disconnect?(...args: any[]): any;
  close?(...args: any[]): any;
  on?(...args: any[]): any;
  defineCommand?(...args: any[]): any;
  sendCommand?(...args: any[]): any;
  send?(...args: any[]): any;
  isCluster?: boolean;
  [key: string]: any;
}
