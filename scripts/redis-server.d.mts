// Types of redis-server.mjs for the TypeScript tests.
import type { ChildProcess } from 'node:child_process';

export function freePort(): Promise<number>;
export function redisAnswers(url: string, timeoutMs?: number): Promise<boolean>;
export function missingRedisServer(env?: NodeJS.ProcessEnv): string | undefined;

export interface RedisServerOptions {
  port?: number;
  dir?: string;
  args?: string[] | ((dir: string) => string[]);
  tls?: boolean;
  aof?: boolean;
  detached?: boolean;
  killOnExit?: boolean;
  onPid?: (pid: number, alive: boolean) => void;
  readyTimeoutMs?: number;
}

export class RedisServer {
  static start(options?: RedisServerOptions): Promise<RedisServer>;
  constructor(options?: RedisServerOptions);
  readonly options: RedisServerOptions;
  readonly port: number;
  readonly dir: string;
  readonly log: string;
  readonly frozen: boolean;
  readonly child: ChildProcess | undefined;
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  start(): Promise<void>;
  end(signal: NodeJS.Signals, killAfterMs?: number): Promise<void>;
  stop(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}
