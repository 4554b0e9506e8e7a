// Plumbing shared by the queue getter/admin and job method tests: jobs put in each state by a real
// worker, and scheduler iterations written as a scheduler would.
import type { Redis } from 'ioredis';
import { Worker, type Job, type Queue } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection } from '../support/redis.js';
import type { Scope } from '../support/scope.js';
import { deferred } from '../support/wait.js';

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
  const held = scope.gate();
  const release = () => held.resolve();
  const ids = { completed: [] as string[], failed: [] as string[], active: [] as string[] };
  for (let i = 0; i < complete; i++) ids.completed.push((await queue.add('complete', { i }))!.id!);
  for (let i = 0; i < fail; i++) ids.failed.push((await queue.add('fail', { i }))!.id!);
  for (let i = 0; i < hold; i++) ids.active.push((await queue.add('hold', { i }))!.id!);
  let started = 0;
  const holding = deferred();
  if (hold === 0) holding.resolve();
  // one job at a time first, so finish times follow the add order; then room for every held job
  const worker = scope.track(
    new Worker(
      queue.name,
      async (job: Job) => {
        if (job.name === 'fail') throw new Error(`failing ${job.data.i} on purpose`);
        if (job.name === 'hold') {
          if (++started === hold) holding.resolve();
          await held.promise;
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
  await holding.promise;
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
  await redis.hset(
    `bull:${name}:${id}`,
    'name',
    'tick',
    'data',
    '{}',
    'opts',
    '{"attempts":0}',
    'timestamp',
    String(millis - 60_000),
    'delay',
    '0',
    'priority',
    '0',
    'rjk',
    schedulerId,
  );
  if (where === 'wait') await redis.lpush(`bull:${name}:wait`, id);
  else await redis.zadd(`bull:${name}:delayed`, millis * 4096, id);
  return id;
}
