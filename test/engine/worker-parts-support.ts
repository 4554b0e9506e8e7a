// Plumbing for the suites that drive the Worker's parts (lib/engine/worker/*.ts) directly: a
// WorkerContext on a real connection, jobs taken into active as the worker takes them, the script
// calls a part makes (and refusals injected at the client, as Redis would answer them).
import { EventEmitter } from 'node:events';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../lib/engine/connection/connection.js';
import { loadScript, runScript } from '../../lib/engine/core/scripts.js';
import { parseFetchReply } from '../../lib/engine/job/fetch-reply.js';
import { moveToActiveArgs, nextAttemptsMade } from '../../lib/engine/job/finish-args.js';
import { Job } from '../../lib/engine/job/job.js';
import { moveSettingsOf } from '../../lib/engine/job/move-settings.js';
import { Queue } from '../../lib/engine/queue/queue.js';
import { WorkerState, type WorkerContext } from '../../lib/engine/worker/context.js';
import { resolveWorkerOptions, type WorkerOptions } from '../../lib/engine/worker/options.js';
import { FetchesInFlight } from '../../lib/engine/worker/reclaim.js';
import { WorkerReporter } from '../../lib/engine/worker/reporter.js';
import { heldEntry, Slots, type Held } from '../../lib/engine/worker/slots.js';
import { connection } from '../support/redis.js';
import type { Scope } from '../support/scope.js';

/**
 * Jest's fake timers and clock (setTimeout, setInterval, Date), leaving nextTick, setImmediate and
 * queueMicrotask real: the engine's batching and ioredis's replies rely on them. Connect first:
 * a connect timeout would never fire. Undo with jest.useRealTimers() before anything closes.
 */
export function useFakeClock(): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
}

/** An emitter that keeps every event it emitted, in order. */
export class RecordingEmitter extends EventEmitter {
  readonly log: [string, unknown[]][] = [];

  override emit(event: string, ...args: unknown[]): boolean {
    this.log.push([event, args]);
    return super.emit(event, ...args);
  }

  /** The argument lists of `event`, in order. */
  of(event: string): unknown[][] {
    return this.log.filter(([e]) => e === event).map(([, args]) => args);
  }

  /** Event names in order, leaving out those in `except`. */
  names(except: string[] = []): string[] {
    return this.log.map(([e]) => e).filter((e) => !except.includes(e));
  }
}

export interface ScriptCallRecord {
  script: string;
  keys: string[];
  args: string[];
}

/**
 * Records the scripts run through `client` (by name) and answers chosen calls with an error
 * instead of sending them, as Redis or ioredis would (an OOM refusal, a closed connection).
 */
export class ScriptCalls {
  readonly calls: ScriptCallRecord[] = [];
  private readonly failures: { script: string; error: () => Error; times: number }[] = [];
  private readonly hooks: { script: string; run: () => void }[] = [];
  private readonly names = new Map<string, string>();

  constructor(readonly client: Redis) {
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = (...args) => {
      const sha = String(args[0]);
      const numKeys = Number(args[1]);
      const script = this.names.get(sha) ?? sha;
      const rest = args.slice(2).map(String);
      this.calls.push({ script, keys: rest.slice(0, numKeys), args: rest.slice(numKeys) });
      for (const hook of this.hooks) if (hook.script === script) hook.run();
      const failure = this.failures.find((f) => f.script === script && f.times > 0);
      if (failure) {
        failure.times -= 1;
        return Promise.reject(failure.error());
      }
      return evalsha(...args);
    };
  }

  /** Names the scripts whose calls are recorded by name (the others by SHA). */
  know(...scripts: string[]): this {
    for (const name of scripts) this.names.set(loadScript(name).sha, name);
    return this;
  }

  /** The next `times` calls of `script` fail with `error()` (without reaching Redis). */
  fail(script: string, error: () => Error, times = 1): void {
    this.failures.push({ script, error, times });
  }

  /** Runs `run` as each call of `script` is made: its caller sees what `run` did once the reply is in. */
  during(script: string, run: () => void): void {
    this.hooks.push({ script, run });
  }

  of(script: string): ScriptCallRecord[] {
    return this.calls.filter((c) => c.script === script);
  }
}

export const oom = () => new Error("OOM command not allowed when used memory > 'maxmemory'.");
export const closedConnection = () => new Error('Connection is closed.');

export interface PartsFixture {
  name: string;
  /** The queue the jobs are added with; also the host the jobs taken are made with. */
  queue: Queue;
  /** The parts' command connection (its script calls recorded). */
  client: Redis;
  scripts: ScriptCalls;
  /** What the parts emit through the reporter. */
  events: RecordingEmitter;
  /** Errors given to the reporter's emitError. */
  errors: unknown[];
  /** Set `closing` to have the parts see close() begun. */
  owner: { closing: Promise<void> | undefined };
  context: WorkerContext;
  /** Waits delay() was asked for. */
  delays: number[];
}

/**
 * A context as a Worker of queue `name` would give its parts, with `opts` as its options. delay()
 * resolves at once and moves a fake clock on, if one is installed (jest.setSystemTime).
 */
export async function partsFixture(scope: Scope, opts: WorkerOptions = {}, onDelay?: (ms: number) => void): Promise<PartsFixture> {
  const name = scope.name();
  const queue = scope.track(new Queue(name, { connection: connection() }));
  const client = new Redis({ ...connection(), maxRetriesPerRequest: 1 });
  scope.track({ close: async () => client.disconnect() });
  await client.ping();
  await queue.waitUntilReady();
  const scripts = new ScriptCalls(client);
  const events = new RecordingEmitter();
  const errors: unknown[] = [];
  const owner = { closing: undefined as Promise<void> | undefined };
  const resolved = resolveWorkerOptions(opts);
  const moves = moveSettingsOf({ opts: resolved } as never);
  const delays: number[] = [];
  const context: WorkerContext = {
    connection: { client: client as unknown as RedisClient, owned: true },
    keys: queue.keys,
    opts: resolved,
    state: new WorkerState(owner),
    slots: new Slots(() => resolved.concurrency),
    reporter: new WorkerReporter(events, (err) => {
      // as QueueBase's: to existing listeners only
      errors.push(err);
      if (events.listenerCount('error') > 0) events.emit('error', err);
    }),
    fetches: new FetchesInFlight(),
    moves: () => moves,
    delay: async (ms) => {
      delays.push(ms);
      onDelay?.(ms);
      // a turn of the event loop, as a real wait would give
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
  return { name, queue, client, scripts, events, errors, owner, context, delays };
}

/** Takes up to `count` jobs into active with one moveToActive call, locked with `token`. */
export async function takeJobs(fx: PartsFixture, count: number, token = `token-${Math.random().toString(36).slice(2)}`): Promise<Job[]> {
  const { context } = fx;
  const args = moveToActiveArgs(context.keys.base, token, context.moves(), Date.now(), count);
  const raw = (await runScript(fx.client, 'moveToActive', [context.keys.meta], args)) as unknown[];
  return parseFetchReply(raw, 0).jobs.map(({ id, hash }) => {
    const job = Job.fromHash(fx.queue, hash, id);
    job.token = token;
    return job;
  });
}

/** Holds the jobs as the worker holds the jobs it started. */
export function holdJobs(fx: PartsFixture, jobs: Job[]): Held[] {
  return jobs.map((job) => {
    const entry = heldEntry(job, nextAttemptsMade(job));
    fx.context.slots.hold(entry);
    return entry;
  });
}
