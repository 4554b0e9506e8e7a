// What one test opens, closed when it ends: queues, workers, flow producers, QueueEvents, clients,
// servers, Nest apps, anything with close(); and the keys of every queue it named. One scope per
// test (`const scope = scopePerTest()`), or one per file for what a whole file shares.
import type { Redis } from 'ioredis';
import { FlowProducer, Queue, Worker, type QueueOptions, type WorkerOptions } from '../../lib/index.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from './redis.js';
import { deferred, within, type Deferred } from './wait.js';

type WorkerProcessor = ConstructorParameters<typeof Worker>[1];

export interface Closable {
  close(): Promise<unknown> | unknown;
}

/** How long one close() may take before the scope gives up on it and names it. */
const CLOSE_TIMEOUT_MS = 10_000;

/** Names, closables, gates and the keys to remove; engine objects come from the subclasses. */
export class BaseScope {
  private closables: Closable[] = [];
  private queues: { name: string; prefix: string }[] = [];
  private gates: Deferred<unknown>[] = [];
  private beforeClose: (() => unknown)[] = [];
  private client: Redis | undefined;

  /** `label`: what queue names start with, unless a call names its own. */
  constructor(private readonly label = 'q') {}

  /** A client for assertions on keys, as the admin user (opened on first use, closed with the scope). */
  get redis(): Redis {
    this.client ??= rawClient();
    return this.client;
  }

  /** A queue name no other test uses; its keys (under `prefix`) go when the scope closes. */
  name(label = this.label, prefix = 'bull'): string {
    const name = uniqueName(label);
    this.removeKeysOf(name, prefix);
    return name;
  }

  /** Also removes the keys of a queue named elsewhere (a known name under another prefix, say). */
  removeKeysOf(name: string, prefix = 'bull'): void {
    if (!this.queues.some((q) => q.name === name && q.prefix === prefix)) this.queues.push({ name, prefix });
  }

  /** Closed when the scope closes, after everything tracked later (workers before their queues). */
  track<T extends Closable>(thing: T): T {
    this.closables.push(thing);
    return thing;
  }

  /** Runs `fn` when the scope closes, in the same reverse order as the things tracked. */
  onClose(fn: () => Promise<unknown> | unknown): void {
    this.track({ close: fn });
  }

  /** A deferred that processors wait on; opened at the latest when the scope closes. */
  gate<T = void>(): Deferred<T> {
    const d = deferred<T>();
    this.gates.push(d as Deferred<unknown>);
    return d;
  }

  /** Runs (and is awaited) before anything closes: lets held jobs finish, so workers can close. */
  defer(fn: () => unknown): void {
    this.beforeClose.push(fn);
  }

  /**
   * Closes everything in reverse order, removes the keys of the queues named, and leaves the scope
   * empty for the next test. Every close is tried; the first failure is thrown at the end.
   */
  async close(): Promise<void> {
    // a failed test must not leave processors waiting (a worker's close() would wait for them)
    for (const gate of this.gates.splice(0)) gate.resolve(undefined);
    const errors: unknown[] = [];
    for (const fn of this.beforeClose.splice(0)) {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    }
    for (const thing of this.closables.splice(0).reverse()) {
      try {
        // a close that hangs fails the test naming the culprit instead of a hook timeout
        await within(Promise.resolve(thing.close()), CLOSE_TIMEOUT_MS, `close() of ${thing.constructor?.name ?? 'a test object'}`);
      } catch (err) {
        errors.push(err);
      }
    }
    for (const q of this.queues.splice(0)) await removeQueueKeys(this.redis, q.name, q.prefix);
    await this.client?.quit();
    this.client = undefined;
    if (errors.length) throw errors[0];
  }
}

/** A BaseScope whose queues, workers and flow producers connect to the test Redis. */
export class Scope extends BaseScope {
  queue(name = this.name(), opts: QueueOptions = {}): Queue {
    this.removeKeysOf(name, opts.prefix ?? 'bull');
    return this.track(new Queue(name, { connection: connection(), ...opts }));
  }

  /** A worker on `queue` (a name, or a Queue whose prefix it takes too). */
  worker(queue: string | Queue, processor: WorkerProcessor, opts: Partial<WorkerOptions> = {}): Worker {
    const [name, prefix] = typeof queue === 'string' ? [queue, {}] : [queue.name, { prefix: queue.prefix }];
    return this.track(new Worker(name, processor, { connection: connection(), ...prefix, ...opts }));
  }

  producer(prefix?: string): FlowProducer {
    return this.track(new FlowProducer({ connection: connection(), prefix }));
  }
}

/** `scope`, closed after each test of the describe block it is made in. */
export function closedAfterEach<S extends BaseScope>(scope: S): S {
  afterEach(() => scope.close());
  return scope;
}

/** `scope`, closed after the last test of the describe block (for what the tests share). */
export function closedAfterAll<S extends BaseScope>(scope: S): S {
  afterAll(() => scope.close());
  return scope;
}

/** A Scope for each test of the describe block it is made in. */
export function scopePerTest(label?: string): Scope {
  return closedAfterEach(new Scope(label));
}
