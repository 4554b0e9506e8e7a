// Helpers shared by the QueueEvents / waitUntilFinished suites.
import type { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { BaseScope } from '../support/scope.js';
import { until, type Deferred } from '../support/wait.js';

/** One emit: the event name and its arguments. */
export type Emitted = [event: string, ...args: unknown[]];

/**
 * Records every string event an emitter emits (symbols are engine-internal), in order. Works on
 * ours and on BullMQ's QueueEvents alike, so both can be compared call for call.
 */
export function recordEmits(emitter: EventEmitter, skip: string[] = ['ioredis:close', 'error']): Emitted[] {
  const seen: Emitted[] = [];
  const original = emitter.emit.bind(emitter);
  emitter.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (typeof event === 'string' && !skip.includes(event)) seen.push([event, ...args]);
    return original(event, ...args);
  }) as typeof emitter.emit;
  return seen;
}

export interface ClientInfo {
  id: string;
  name: string;
  cmd: string;
  /** `b` while blocked in a command. */
  flags: string;
}

/** CLIENT LIST entries whose name is `name`. */
export async function clientsNamed(redis: Redis, name: string): Promise<ClientInfo[]> {
  const list = (await redis.client('LIST')) as string;
  return list
    .split('\n')
    .filter(Boolean)
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])))
    .filter((c) => c.name === name)
    .map((c) => ({ id: c.id, name: c.name, cmd: c.cmd, flags: c.flags }));
}

/** The client name QueueEvents gives its blocking connection (wire-format §1.4). */
export function queueEventsClientName(queue: string, prefix = 'bull'): string {
  return `${prefix}:${Buffer.from(queue).toString('base64')}:qe`;
}

/** Waits until exactly one connection with that name sits in a blocking XREAD; returns it. */
export async function blockedReader(redis: Redis, queue: string, prefix = 'bull'): Promise<ClientInfo> {
  const name = queueEventsClientName(queue, prefix);
  const [reader] = await until(
    `a connection named ${name} blocked in XREAD`,
    () => clientsNamed(redis, name),
    (cs) => cs.length === 1 && cs[0].cmd === 'xread' && cs[0].flags.includes('b'),
  );
  return reader;
}

/**
 * A processor (concurrency 1) whose k-th job returns 'ok' only once `events` delivered k-1
 * 'completed' events: a finish never comes before the reader has read the one before it, which a
 * stream capped at 0 entries (each finish empties it first) needs, whatever the machine's load.
 */
export function readerPacedProcessor(scope: BaseScope, events: EventEmitter): () => Promise<string> {
  const delivered: Deferred<void>[] = [];
  const completion = (k: number) => (delivered[k] ??= scope.gate());
  let seen = 0;
  events.on('completed', () => completion(seen++).resolve());
  let started = 0;
  return async () => {
    const k = started++;
    if (k > 0) await completion(k - 1).promise;
    return 'ok';
  };
}
