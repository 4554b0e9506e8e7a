import type { INestApplicationContext, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { REDIS_URL, rawClient, removeQueueKeys } from '../../support/redis.js';

/** A logger that keeps what it was told, so tests can assert on logged errors. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: string; detail: unknown[] }[] = [];
  log(message: unknown, ...detail: unknown[]) { this.entries.push({ level: 'log', message: String(message), detail }); }
  error(message: unknown, ...detail: unknown[]) { this.entries.push({ level: 'error', message: String(message), detail }); }
  warn(message: unknown, ...detail: unknown[]) { this.entries.push({ level: 'warn', message: String(message), detail }); }
  debug() {}
  verbose() {}

  errors(): string[] {
    return this.entries.filter((e) => e.level === 'error').map((e) => e.message);
  }

  warnings(): string[] {
    return this.entries.filter((e) => e.level === 'warn').map((e) => e.message);
  }
}

export interface Booted {
  app: INestApplicationContext;
  logger: RecordingLogger;
}

/** Compiles a testing module and runs its init hooks (the app is "bootstrapped" when this resolves). */
export async function boot(metadata: ModuleMetadata, logger = new RecordingLogger()): Promise<Booted> {
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  await moduleRef.init();
  return { app: moduleRef, logger };
}

/** Compiles without init, for tests that drive the lifecycle themselves. */
export async function compile(metadata: ModuleMetadata, logger = new RecordingLogger()) {
  return { app: await Test.createTestingModule(metadata).setLogger(logger).compile(), logger };
}

/** Boots `metadata` and returns the error the boot failed with (closing whatever was opened). */
export async function bootError(metadata: ModuleMetadata): Promise<Error> {
  let app;
  try {
    app = (await compile(metadata)).app;
  } catch (err) {
    // providers are made by compile(): options and registrations fail there, before any hook runs
    return err as Error;
  }
  try {
    await app.init();
  } catch (err) {
    return err as Error;
  } finally {
    await app.close();
  }
  throw new Error('the app booted, but an error was expected');
}

/** Connection options for `QueueModule.forRoot`, from the Redis the global setup found. */
export function redisOptions(): { host: string; port: number } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** A promise with its resolve function, for handlers that tell a test something happened. */
export function deferred<T = void>(timeoutMs = 10_000, label = 'deferred'): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}`)), timeoutMs);
    resolve = (value: T) => {
      clearTimeout(timer);
      res(value);
    };
  });
  return { promise, resolve };
}

/** The event names a queue's stream holds, oldest first. */
export async function streamEvents(client: Redis, queueName: string, prefix = 'bull'): Promise<string[]> {
  const entries = await client.xrange(`${prefix}:${queueName}:events`, '-', '+');
  return entries.map(([, fields]) => fields[fields.indexOf('event') + 1]);
}

/** Removes the keys of the given queues, with a client of its own. */
export async function cleanQueues(names: string[], prefix = 'bull'): Promise<void> {
  const client = rawClient();
  try {
    for (const name of names) await removeQueueKeys(client, name, prefix);
  } finally {
    client.disconnect();
  }
}
