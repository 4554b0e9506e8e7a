// Plumbing of the outcomes, cancellation and manual suites: jobs put in active without a worker
// loop, the queue's state lists at a glance, and the events stream.
import type { Redis } from 'ioredis';
import { runScript } from '../../lib/engine/core/scripts.js';
import { parseFetchReply } from '../../lib/engine/job/fetch-reply.js';
import { Job, type Queue } from '../../lib/index.js';
import { streamEvents } from '../support/redis.js';

/** Takes the next job into active as a worker fetch would, locked with `token` (host: the queue). */
export async function activate(queue: Queue, token: string, lockDuration = 30000): Promise<Job> {
  const client = await queue.client;
  const raw = (await runScript(
    client,
    'moveToActive',
    [queue.keys.meta],
    [queue.keys.base, token, lockDuration, Date.now(), 0, 0, '', 1],
  )) as unknown[];
  const [fetched] = parseFetchReply(raw, 0).jobs;
  if (!fetched) throw new Error(`no job to activate in ${queue.name}`);
  const job = Job.fromHash(queue, fetched.hash, fetched.id);
  job.token = token;
  return job;
}

/** Where the jobs of a queue are: lists in order (head first), zsets with their scores. */
export async function lists(
  redis: Redis,
  name: string,
): Promise<{
  wait: string[];
  active: string[];
  delayed: [string, number][];
  prioritized: [string, number][];
  completed: string[];
  failed: string[];
}> {
  const base = `bull:${name}:`;
  const zset = async (key: string): Promise<[string, number][]> => {
    const flat = await redis.zrange(base + key, 0, -1, 'WITHSCORES');
    const out: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i], Number(flat[i + 1])]);
    return out;
  };
  return {
    wait: await redis.lrange(`${base}wait`, 0, -1),
    active: await redis.lrange(`${base}active`, 0, -1),
    delayed: await zset('delayed'),
    prioritized: await zset('prioritized'),
    completed: await redis.zrange(`${base}completed`, 0, -1),
    failed: await redis.zrange(`${base}failed`, 0, -1),
  };
}

/** `event jobId [prev|delay]` lines, for order checks. */
export async function eventLines(redis: Redis, name: string): Promise<string[]> {
  return (await streamEvents(redis, name)).map((e) => [e.event, e.jobId, e.prev].filter((x) => x !== undefined).join(' '));
}

export const PRIORITY_SHIFT = 2 ** 32;
export const DELAY_SHIFT = 4096;
