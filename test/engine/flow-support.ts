// Plumbing shared by the flow tests: a scope that closes what a test opened and removes the keys
// of every queue it named (under any prefix), and small readers of a flow's Redis state.
import type { Redis } from 'ioredis';
import { FlowProducer, Queue, Worker, type JobNode } from '../../lib/index.js';
import type { Processor } from '../../lib/engine/worker/worker.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';

interface Closable {
  close(): Promise<unknown>;
}

export class FlowScope {
  private readonly closables: Closable[] = [];
  private readonly queues: { name: string; prefix: string }[] = [];
  readonly redis: Redis = rawClient();

  /** A fresh queue name whose keys (under `prefix`) go when the scope closes. */
  name(label = 'flow', prefix = 'bull'): string {
    const name = uniqueName(label);
    this.queues.push({ name, prefix });
    return name;
  }

  /** Also removes the keys of a queue named elsewhere (e.g. another prefix for a known name). */
  forget(name: string, prefix: string): void {
    this.queues.push({ name, prefix });
  }

  track<T extends Closable>(thing: T): T {
    this.closables.push(thing);
    return thing;
  }

  producer(prefix?: string): FlowProducer {
    return this.track(new FlowProducer({ connection: connection(), prefix }));
  }

  queue(name: string): Queue {
    return this.track(new Queue(name, { connection: connection() }));
  }

  worker(name: string, processor: Processor, opts: Record<string, unknown> = {}): Worker {
    return this.track(new Worker(name, processor, { connection: connection(), ...opts }));
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

/** The events of a queue's stream as `{ event, ...fields }`. */
export async function streamEvents(redis: Redis, queue: string, prefix = 'bull'): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(`${prefix}:${queue}:events`, '-', '+');
  return entries.map(([, fields]) => {
    const e: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) e[fields[i]] = fields[i + 1];
    return e;
  });
}

/** A JobNode tree as plain data: `name@queue#id` with its children, in order. */
export interface NodeShape {
  job: string;
  children?: NodeShape[];
}

export function shape(node: JobNode): NodeShape {
  const job = `${node.job.name}@${node.job.queueName}#${node.job.id}`;
  return node.children ? { job, children: node.children.map(shape) } : { job };
}

/** The same tree with every node's children sorted, for trees read back from Redis sets. */
export function sortedShape(node: NodeShape): NodeShape {
  if (!node.children) return node;
  return { job: node.job, children: node.children.map(sortedShape).sort((a, b) => a.job.localeCompare(b.job)) };
}

/**
 * Polls `probe` until it passes `accept`, for Redis state that no event announces (a parent
 * released in another queue); fails with the last value after `timeoutMs`.
 */
export async function until<T>(what: string, probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
