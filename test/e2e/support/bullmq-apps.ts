import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { rawClient } from '../../support/redis.js';
import { RecordingLogger } from './nest.js';

/** Where the @nestjs/bullmq apps live (test/e2e/bullmq-apps/*.app.ts). */
export const APPS_DIR = fileURLToPath(new URL('../bullmq-apps/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The apps with their imports changed, written for this run (inside the package, so 'nestjs-conveyor' resolves to it). */
export const CONVEYOR_DIR = path.join(ROOT, '.tmp', `bullmq-apps-${process.pid}`);

export type Variant = 'bullmq' | 'conveyor';
export const VARIANTS: Variant[] = ['bullmq', 'conveyor'];

/**
 * An app's source with only its imports changed, as a user migrating would: '@nestjs/bullmq' and
 * 'bullmq' become 'nestjs-conveyor'. Relative imports are pointed back at the original folder.
 */
export function toConveyor(source: string, fromDir = CONVEYOR_DIR): string {
  return source
    .replace(/from '(@nestjs\/bullmq|bullmq)';/g, "from 'nestjs-conveyor';")
    .replace(
      /from '(\.\/[^']+)';/g,
      (_, rel: string) => `from '${path.relative(fromDir, path.join(APPS_DIR, rel)).split(path.sep).join('/')}';`,
    );
}

/** Writes the Conveyor copy of every app once per run; returns their paths. */
export function writeConveyorCopies(): string[] {
  mkdirSync(CONVEYOR_DIR, { recursive: true });
  return readdirSync(APPS_DIR)
    .filter((file) => file.endsWith('.app.ts'))
    .map((file) => {
      const copy = path.join(CONVEYOR_DIR, file);
      writeFileSync(copy, toConveyor(readFileSync(path.join(APPS_DIR, file), 'utf8')));
      return copy;
    });
}

/** A run of one app: its module namespace, its app (once booted) and the prefix its keys live under. */
export interface AppRun<M> {
  variant: Variant;
  mod: M;
  prefix: string;
  logger: RecordingLogger;
  apps: INestApplicationContext[];
}

/**
 * Loads an app as `variant` under a fresh key prefix. The prefix is read while the app's modules are
 * defined, so each variant is loaded once per suite (a second load would share the first's module).
 */
export async function loadApp<M>(file: string, variant: Variant): Promise<AppRun<M>> {
  const prefix = `bmq-${variant}-${randomUUID().slice(0, 8)}`;
  process.env.BULLMQ_APP_PREFIX = prefix;
  const source = variant === 'bullmq' ? path.join(APPS_DIR, file) : path.join(CONVEYOR_DIR, file);
  const mod = (await import(pathToFileURL(source).href)) as M;
  return { variant, mod, prefix, logger: new RecordingLogger(), apps: [] };
}

/** Boots a module of the app as an app of its own (with init hooks run). */
export async function bootModule(run: AppRun<unknown>, module: Type<unknown>): Promise<INestApplicationContext> {
  const app = await Test.createTestingModule({ imports: [module] })
    .setLogger(run.logger)
    .compile();
  run.apps.push(app);
  await app.init();
  return app;
}

/** Closes the run's apps and removes every key under its prefix. */
export async function endRun(run: AppRun<unknown> | undefined): Promise<void> {
  if (!run) return;
  for (const app of run.apps.splice(0).reverse()) await app.close();
  const client = rawClient();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${run.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
