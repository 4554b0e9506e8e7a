// @ts-check
// The two engines under test behind one small surface: Conveyor (this repo's built dist/) and
// bullmq. Both get the same connection options, prefix, job payloads and worker settings.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as bullmq from 'bullmq';

/** Every queue of the benchmark lives under this prefix. */
export const PREFIX = 'bench';

/**
 * @typedef {import('./redis-admin.mjs').RedisTarget} RedisTarget
 * @typedef {{ id?: string | null, data: any }} BenchJob
 * @typedef {{
 *   add(name: string, data: unknown, opts?: { priority?: number }): Promise<{ id?: string | null }>,
 *   addBulk(jobs: { name: string, data: unknown }[]): Promise<unknown[]>,
 *   waitUntilReady(): Promise<unknown>,
 *   close(): Promise<void>,
 *   disconnect(): Promise<void>,
 *   on(event: string, listener: (...args: any[]) => void): unknown,
 * }} BenchQueue
 * @typedef {{
 *   run(): Promise<void>,
 *   waitUntilReady(): Promise<unknown>,
 *   close(force?: boolean): Promise<void>,
 *   disconnect(): Promise<void>,
 *   on(event: string, listener: (...args: any[]) => void): unknown,
 * }} BenchWorker
 * @typedef {(job: BenchJob) => Promise<unknown>} BenchProcessor
 * @typedef {{
 *   id: 'conveyor' | 'bullmq',
 *   label: string,
 *   version: string,
 *   queue(name: string): BenchQueue,
 *   worker(name: string, processor: BenchProcessor, concurrency: number): BenchWorker,
 * }} Side
 */

const require = createRequire(import.meta.url);

/** @param {string} pkg */
export function installedVersion(pkg) {
  try {
    return /** @type {{ version: string }} */ (require(`${pkg}/package.json`)).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Conveyor from a built entry (default: ../dist/index.js) and bullmq from node_modules.
 * @param {RedisTarget} target
 * @param {string | undefined} conveyorEntry
 * @returns {Promise<Side[]>}
 */
export async function loadSides(target, conveyorEntry) {
  const entry = conveyorEntry ? pathToFileURL(conveyorEntry).href : new URL('../dist/index.js', import.meta.url).href;
  /** @type {typeof import('../dist/index.js')} */
  const conveyor = await import(entry);
  const ownVersion = /** @type {{ version: string }} */ (require('../package.json')).version;

  // bullmq wants maxRetriesPerRequest null on the connections it blocks on
  const bullConnection = { ...target, maxRetriesPerRequest: null };
  return [
    {
      id: 'conveyor',
      label: 'Conveyor',
      version: ownVersion,
      queue: (name) => new conveyor.Queue(name, { connection: { ...target }, prefix: PREFIX }),
      worker: (name, processor, concurrency) =>
        new conveyor.Worker(name, processor, { connection: { ...target }, prefix: PREFIX, concurrency, autorun: false }),
    },
    {
      id: 'bullmq',
      label: 'BullMQ',
      version: installedVersion('bullmq'),
      queue: (name) => new bullmq.Queue(name, { connection: bullConnection, prefix: PREFIX }),
      worker: (name, processor, concurrency) =>
        new bullmq.Worker(name, processor, { connection: bullConnection, prefix: PREFIX, concurrency, autorun: false }),
    },
  ];
}

/**
 * The name both engines give a worker's blocking connection (wire-format §1.4).
 * @param {string} queueName
 */
export function blockingClientName(queueName) {
  return `${PREFIX}:${Buffer.from(queueName).toString('base64')}`;
}
