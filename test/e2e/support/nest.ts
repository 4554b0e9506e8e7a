import type { INestApplication, INestApplicationContext, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { REDIS_URL } from '../../support/redis.js';
import { BaseScope, closedAfterEach } from '../../support/scope.js';

/** A logger that keeps what it was told, so tests can assert on logged errors. */
export class RecordingLogger implements LoggerService {
  readonly entries: { level: string; message: string; detail: unknown[] }[] = [];
  log(message: unknown, ...detail: unknown[]) {
    this.entries.push({ level: 'log', message: String(message), detail });
  }
  error(message: unknown, ...detail: unknown[]) {
    this.entries.push({ level: 'error', message: String(message), detail });
  }
  warn(message: unknown, ...detail: unknown[]) {
    this.entries.push({ level: 'warn', message: String(message), detail });
  }
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

/**
 * The apps a test boots and the queues it names: the apps are closed after the test (again, if
 * the test closed them itself), then the queues' keys removed.
 */
export class NestScope extends BaseScope {
  async boot(metadata: ModuleMetadata, logger?: RecordingLogger): Promise<Booted> {
    const booted = await boot(metadata, logger);
    this.track(booted.app);
    return booted;
  }

  /**
   * An HTTP app of `metadata` listening on a free port, closed with the scope; `base` is its URL.
   * `configure` runs before it listens (a global prefix, say).
   */
  async serve(
    metadata: ModuleMetadata,
    { configure, logger = new RecordingLogger() }: { configure?: (app: INestApplication) => void; logger?: RecordingLogger } = {},
  ): Promise<{ app: INestApplication; base: string }> {
    const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
    const app = this.track(moduleRef.createNestApplication());
    configure?.(app);
    await app.listen(0);
    return { app, base: (await app.getUrl()).replace('[::1]', 'localhost') };
  }

  /** compile() whose app (if any) is closed with the scope. */
  async compile(metadata: ModuleMetadata, logger?: RecordingLogger): Promise<Booted> {
    const compiled = await compile(metadata, logger);
    this.track(compiled.app);
    return compiled;
  }
}

/** A NestScope for each test of the describe block it is made in. */
export function nestPerTest(label = 'e2e'): NestScope {
  return closedAfterEach(new NestScope(label));
}
