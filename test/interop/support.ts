// Shared plumbing of the interop suite: real bullmq@6.7.0 and Conveyor on the same queues.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Queue as BullQueue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';

export { uniqueName };

/** bullmq wants maxRetriesPerRequest null on connections that block (Worker, QueueEvents). */
export function bullConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  return { ...connection(), maxRetriesPerRequest: null };
}

export { connection as conveyorConnection };

/**
 * bullmq's getJobCounts for any list of types: its v6 typings dropped the legacy `paused` type,
 * which it still answers for at run time (the v5 `paused` list).
 */
export function bullCounts(queue: BullQueue, ...types: string[]): Promise<Record<string, number>> {
  return (queue.getJobCounts as (...t: string[]) => Promise<Record<string, number>>).apply(queue, types);
}

interface Closable {
  close(): Promise<unknown>;
}

/**
 * Everything a test opens, closed in reverse order in afterEach (workers before the queues they
 * share a Redis with), plus the keys of every queue it named.
 */
export class Scope {
  private readonly closables: Closable[] = [];
  private readonly queues: { name: string; prefix: string }[] = [];
  readonly redis: Redis = rawClient();

  /** A fresh queue name whose keys are removed when the scope closes. */
  queueName(label = 'interop', prefix = 'bull'): string {
    const name = uniqueName(label);
    this.queues.push({ name, prefix });
    return name;
  }

  track<T extends Closable>(thing: T): T {
    this.closables.push(thing);
    return thing;
  }

  async close(): Promise<void> {
    const errors: unknown[] = [];
    for (const thing of this.closables.reverse()) {
      try {
        await thing.close();
      } catch (err) {
        errors.push(err);
      }
    }
    for (const q of this.queues) await removeQueueKeys(this.redis, q.name, q.prefix);
    await this.redis.quit();
    if (errors.length) throw errors[0];
  }
}

/**
 * Polls `probe` until it returns a value passing `accept`, for state that has no event to await
 * (a key appearing in Redis). Fails with the last value seen after `timeoutMs`.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The raw job hash. */
export async function rawJob(redis: Redis, queue: string, jobId: string, prefix = 'bull'): Promise<Record<string, string>> {
  return redis.hgetall(`${prefix}:${queue}:${jobId}`);
}

/**
 * What a job hash looks like with the values that legitimately differ between two runs (clock
 * values, stack texts) replaced by their encoding class, so two hashes can be compared as equals.
 */
export function hashShape(hash: Record<string, string>): Record<string, string> {
  const shape: Record<string, string> = {};
  for (const [field, value] of Object.entries(hash)) shape[field] = encodingOf(field, value);
  return shape;
}

const INT_FIELDS = new Set(['timestamp', 'delay', 'priority', 'processedOn', 'finishedOn', 'ats', 'atm', 'stc']);

function encodingOf(field: string, value: string): string {
  if (INT_FIELDS.has(field)) {
    if (!/^-?\d+$/.test(value)) return `NOT AN INTEGER: ${value}`;
    // clock values differ per run; small counters must match exactly
    return ['timestamp', 'processedOn', 'finishedOn'].includes(field) ? 'int(ms)' : `int ${value}`;
  }
  if (field === 'stacktrace') {
    const parsed = JSON.parse(value) as unknown;
    if (!Array.isArray(parsed) || parsed.some((s) => typeof s !== 'string')) return `NOT A JSON STRING ARRAY: ${value}`;
    // each entry is an error's stack: compare its first line (the message), not the frames
    return `json string[${parsed.length}] ${JSON.stringify(parsed.map((s) => s.split('\n')[0]))}`;
  }
  if (field === 'opts') return `json ${JSON.stringify(sortKeys(JSON.parse(value)))}`;
  if (['data', 'returnvalue', 'progress', 'parent'].includes(field)) return `json ${JSON.stringify(sortKeys(JSON.parse(value)))}`;
  return `raw ${value}`;
}

/** A deep copy with object keys sorted, so JSON from Lua cjson (arbitrary order) compares. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Entries of a queue's events stream as `{ event, ...fields }`. */
export async function streamEvents(redis: Redis, queue: string, prefix = 'bull'): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(`${prefix}:${queue}:events`, '-', '+');
  return entries.map(([, fields]) => {
    const out: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) out[fields[i]] = fields[i + 1];
    return out;
  });
}

// ------------------------------------------------------------------------------ child processes

/** A worker in a child process that prints one JSON object per line on stdout. */
export class ChildWorker {
  private readonly child: ChildProcess;
  private readonly messages: Record<string, unknown>[] = [];
  private readonly waiters: { accept: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  private stderr = '';
  private exited = false;

  constructor(fixture: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [fixture], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.receive(line));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.on('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private receive(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      if (waiter.accept(message)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  /** Every message with `type` received so far, oldest first. */
  received(type: string): Record<string, unknown>[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** The first message (already seen or still to come) with `type`. */
  message(type: string, timeoutMs = 10000): Promise<Record<string, unknown>> {
    const accept = (m: Record<string, unknown>) => m.type === type;
    const seen = this.messages.find(accept);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`child ${this.pid} sent no "${type}" message within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      this.waiters.push({
        accept,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** SIGKILL, and wait until the process is gone (no-op if it already exited). */
  async kill(): Promise<void> {
    if (this.exited || this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    process.kill(this.child.pid!, 'SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.kill();
  }
}
