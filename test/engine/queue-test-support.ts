// Plumbing shared by the queue getter/admin and job method tests.
import type { Redis } from 'ioredis';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';

interface Closable {
  close(): Promise<unknown>;
}

/** Everything a test opens, closed in reverse order, plus the keys of every queue it named. */
export class Scope {
  private readonly closables: Closable[] = [];
  private readonly names: string[] = [];
  private readonly beforeClose: (() => void)[] = [];
  readonly redis: Redis = rawClient();

  name(label = 'q'): string {
    const name = uniqueName(label);
    this.names.push(name);
    return name;
  }

  queue(name = this.name()): Queue {
    return this.track(new Queue(name, { connection: connection() }));
  }

  track<T extends Closable>(thing: T): T {
    this.closables.push(thing);
    return thing;
  }

  /** Runs before anything closes (e.g. lets held jobs finish, so workers can close). */
  defer(fn: () => void): void {
    this.beforeClose.push(fn);
  }

  async close(): Promise<void> {
    for (const fn of this.beforeClose) fn();
    for (const thing of this.closables.reverse()) await thing.close();
    for (const name of this.names) await removeQueueKeys(this.redis, name);
    await this.redis.quit();
  }
}

/** Every key of a queue with its DUMP and TTL, to prove a rejected call wrote nothing. */
export async function snapshot(redis: Redis, name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `bull:${name}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const dump = await redis.dumpBuffer(key);
      out[key] = `${dump?.toString('base64')} ttl=${await redis.pttl(key) > 0 ? 'set' : 'none'}`;
    }
  } while (cursor !== '0');
  return out;
}

/** The events stream as objects (`{ event, jobId, ... }`). */
export async function streamEvents(redis: Redis, name: string): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(`bull:${name}:events`, '-', '+');
  return entries.map(([, fields]) => {
    const e: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) e[fields[i]] = fields[i + 1];
    return e;
  });
}

/**
 * Puts jobs in active, completed and failed with a real Worker: `complete` jobs complete,
 * `fail` jobs fail, then `hold` jobs stay active until the returned `release` is called.
 * Resolves once all of that is true, with the worker closed (no held jobs) or paused with every
 * slot taken, so it takes no further job. It is tracked by the scope, and the held jobs are
 * released when the scope closes.
 */
export async function processSome(
  scope: Scope,
  queue: Queue,
  { complete = 0, fail = 0, hold = 0 }: { complete?: number; fail?: number; hold?: number },
): Promise<{ worker: Worker; release: () => void; ids: { completed: string[]; failed: string[]; active: string[] } }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  scope.defer(release);
  const ids = { completed: [] as string[], failed: [] as string[], active: [] as string[] };
  for (let i = 0; i < complete; i++) ids.completed.push((await queue.add('complete', { i }))!.id!);
  for (let i = 0; i < fail; i++) ids.failed.push((await queue.add('fail', { i }))!.id!);
  for (let i = 0; i < hold; i++) ids.active.push((await queue.add('hold', { i }))!.id!);
  let started = 0;
  let allHeld!: () => void;
  const holding = new Promise<void>((resolve) => {
    allHeld = resolve;
  });
  if (hold === 0) allHeld();
  // one job at a time first, so finish times follow the add order; then room for every held job
  const worker = scope.track(
    new Worker(
      queue.name,
      async (job: Job) => {
        if (job.name === 'fail') throw new Error(`failing ${job.data.i} on purpose`);
        if (job.name === 'hold') {
          if (++started === hold) allHeld();
          await held;
        }
        return { done: job.data.i };
      },
      { connection: connection(), concurrency: 1 },
    ),
  );
  await Promise.all([
    complete > 0 ? times(worker, 'completed', complete, 10000) : undefined,
    fail > 0 ? times(worker, 'failed', fail, 10000) : undefined,
  ]);
  if (hold > 1) worker.concurrency = hold;
  await holding;
  // The worker must take nothing more and must not be blocked on the marker (it would pop a marker
  // a later add writes): without held jobs it closes; with them its slots stay full and it pauses.
  if (hold === 0) await worker.close();
  else await worker.pause(true);
  return { worker, release, ids };
}

/**
 * Writes, as a job scheduler would, the pending iteration of scheduler `schedulerId` into `list`
 * (wait) or `zset` (delayed): the only kind of job drain and clean must leave in place.
 */
export async function addSchedulerIteration(
  redis: Redis,
  name: string,
  schedulerId: string,
  where: 'wait' | 'delayed',
  millis = Date.now() - 3_600_000,
): Promise<string> {
  const id = `repeat:${schedulerId}:${millis}`;
  await redis.zadd(`bull:${name}:repeat`, millis, schedulerId);
  await redis.hset(`bull:${name}:repeat:${schedulerId}`, 'name', 'tick', 'every', '60000', 'offset', '0', 'ic', '1');
  await redis.hset(`bull:${name}:${id}`, 'name', 'tick', 'data', '{}', 'opts', '{"attempts":0}', 'timestamp', String(millis - 60_000), 'delay', '0', 'priority', '0', 'rjk', schedulerId);
  if (where === 'wait') await redis.lpush(`bull:${name}:wait`, id);
  else await redis.zadd(`bull:${name}:delayed`, millis * 4096, id);
  return id;
}
