// Shared by the sandbox suites: the processor fixtures, the two modes, and checks on children.
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type WorkerOptions } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { type Scope } from '../support/scope.js';

/** A processor file under test/fixtures/sandbox/, as a URL. */
export function fixtureUrl(file: string): URL {
  return new URL(`../fixtures/sandbox/${file}`, import.meta.url);
}

/** The same, as an absolute path. */
export function fixture(file: string): string {
  return fileURLToPath(fixtureUrl(file));
}

export const MODES = [
  { mode: 'child process', useWorkerThreads: false },
  { mode: 'worker thread', useWorkerThreads: true },
] as const;

/** What the fixtures report about where they ran. */
export interface Where {
  pid: number;
  threadId: number;
}

/** One child in either mode: its pid, or for a thread its thread id. */
export function childId(where: Where, useWorkerThreads: boolean): number {
  return useWorkerThreads ? where.threadId : where.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** A queue and a worker running `file` in the given mode, both closed with the scope. */
export function sandboxed(
  scope: Scope,
  file: string | URL,
  opts: WorkerOptions = {},
  label = 'sbx',
): { queue: Queue; worker: Worker; name: string } {
  const name = scope.name(label);
  const queue = scope.track(new Queue(name, { connection: connection() }));
  const worker = scope.track(new Worker(name, file, { connection: connection(), ...opts }));
  // a worker error nobody listens to is dropped; tests that expect one listen themselves
  worker.on('error', () => {});
  return { queue, worker, name };
}

/** How many children the worker's sandbox holds (worker threads cannot be checked by pid). */
export function liveChildren(worker: Worker): number {
  return (worker as unknown as { sandbox: { size: number } }).sandbox.size;
}
