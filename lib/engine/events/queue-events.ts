import type { RedisQueueBackend } from '../connection/backend.js';
import { queueEventsClientName } from '../connection/clients.js';
import { duplicateConnection, type ConnectionOptions, type RedisClient } from '../connection/connection.js';
import { QueueBase, type QueueBaseOptions } from '../connection/queue-base.js';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';

export interface QueueEventsOptions<ConnectionOptionsType = ConnectionOptions> extends QueueBaseOptions<ConnectionOptionsType> {
  /** Start reading in the constructor. @default true */
  autorun?: boolean;
  /** Longest single blocking read of the stream, ms (0 = until an entry arrives). @default 10000 */
  blockingTimeout?: number;
  /** Deliver the entries after this stream id. @default '$': only entries added from now on */
  lastEventId?: string;
}

export const QUEUE_EVENTS_DEFAULTS = {
  autorun: true,
  blockingTimeout: 10_000,
};

/** The payloads of the events BullMQ's scripts (and ours) write; other names pass through as they are. */
export interface QueueEventsListener<ReturnType = any> {
  active: (args: { jobId: string; prev?: string }, id: string) => void;
  added: (args: { jobId: string; name: string }, id: string) => void;
  cleaned: (args: { count: string }, id: string) => void;
  completed: (args: { jobId: string; returnvalue: ReturnType; prev?: string }, id: string) => void;
  deduplicated: (args: { jobId: string; deduplicationId: string; deduplicatedJobId: string }, id: string) => void;
  delayed: (args: { jobId: string; delay: number }, id: string) => void;
  drained: (id: string) => void;
  duplicated: (args: { jobId: string }, id: string) => void;
  error: (err: Error) => void;
  failed: (args: { jobId: string; failedReason: string; prev?: string }, id: string) => void;
  paused: (args: Record<string, never>, id: string) => void;
  progress: (args: { jobId: string; data: number | object }, id: string) => void;
  removed: (args: { jobId: string; prev: string }, id: string) => void;
  resumed: (args: Record<string, never>, id: string) => void;
  'retries-exhausted': (args: { jobId: string; attemptsMade: string }, id: string) => void;
  stalled: (args: { jobId: string }, id: string) => void;
  waiting: (args: { jobId: string; prev?: string }, id: string) => void;
  'waiting-children': (args: { jobId: string; prev?: string }, id: string) => void;
  /** The blocking connection dropped; it reconnects and resumes after the last entry delivered. */
  'ioredis:close': () => void;
}

/** Backoff after a failed read: fast first retries, capped so a refusing Redis sees a few a second. */
const READ_RETRY_MS = { first: 50, max: 2_000 };
/** Entries taken per read: bounds one reply when catching up on a long backlog. */
const READ_BATCH = 1_000;
const STREAM_ID = /^\d+(-\d+)?$/;

export type EventArgs = Record<string, unknown>;

/**
 * Turns a stream entry's field list into BullMQ's listener arguments: `event` is taken out,
 * `returnvalue` (completed) and `data` (progress) are JSON-parsed and `delay` (delayed) becomes a
 * number. Text that is not JSON stays as it is: another writer's bad entry must not stop the reader.
 */
export function parseEventFields(fields: string[]): { event: string | undefined; args: EventArgs } {
  let event: string | undefined;
  const args: EventArgs = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i];
    if (field === 'event' && event === undefined) event = fields[i + 1];
    else if (field === '__proto__')
      Object.defineProperty(args, field, { value: fields[i + 1], enumerable: true, writable: true, configurable: true });
    else args[field] = fields[i + 1];
  }
  if (event === 'completed' && typeof args.returnvalue === 'string') args.returnvalue = parseJsonOrRaw(args.returnvalue);
  else if (event === 'progress' && typeof args.data === 'string') args.data = parseJsonOrRaw(args.data);
  else if (event === 'delayed' && args.delay !== undefined) args.delay = Number(args.delay);
  return { event, args };
}

export function parseJsonOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function checkQueueEventsOptions(opts: QueueEventsOptions): QueueEventsOptions {
  if (typeof opts !== 'object' || opts === null) {
    throw new ConveyorValidationError(`QueueEvents options must be an object, got ${show(opts)}`);
  }
  if (opts.autorun !== undefined && typeof opts.autorun !== 'boolean') {
    throw new ConveyorValidationError(`autorun must be a boolean, got ${show(opts.autorun)}`);
  }
  if (opts.blockingTimeout !== undefined) checkInteger('blockingTimeout', opts.blockingTimeout, 0);
  const last = opts.lastEventId;
  if (last !== undefined && (typeof last !== 'string' || (last !== '$' && !STREAM_ID.test(last)))) {
    throw new ConveyorValidationError(`lastEventId must be a stream id like "1700000000000-0" (or "$"), got ${show(last)}`);
  }
  return opts;
}

/**
 * Reads a queue's event stream (`<prefix>:<queue>:events`) and emits every entry as BullMQ's
 * QueueEvents does: `(args, id)` under the event name and, for entries with a jobId, under
 * `<event>:<jobId>`; `drained` with the id only.
 *
 * It blocks on a connection of its own (a duplicate, never a client the user passed) and remembers
 * the id of the last entry it emitted, so after any reconnect it goes on from there: entries written
 * while it was away are delivered once and in order.
 */
/** Type parameters as bullmq 6.7's; `B` and `ConnectionOptionsType` are for its other backends. */
export class QueueEvents<ReturnType = any, B = RedisQueueBackend, ConnectionOptionsType = ConnectionOptions> extends QueueBase {
  readonly opts: QueueEventsOptions & typeof QUEUE_EVENTS_DEFAULTS;
  private blocking: RedisClient | undefined;
  private cursor: string | undefined;
  private running: Promise<void> | undefined;
  private isPositioned = false;
  private readonly positioned: Promise<void>;
  private markPositioned!: () => void;
  private interrupt: (() => void) | undefined;
  private readonly closeWatchers = new Set<() => void>();

  constructor(name: string, opts: QueueEventsOptions = {}) {
    super(name, checkQueueEventsOptions(opts));
    this.opts = { ...QUEUE_EVENTS_DEFAULTS, ...stripUndefined(opts) };
    this.cursor = opts.lastEventId === '$' ? undefined : opts.lastEventId;
    this.positioned = new Promise((resolve) => (this.markPositioned = resolve));
    if (this.opts.autorun) this.run().catch((err) => this.emitError(err));
  }

  /**
   * The id of the last entry emitted (or, before the first one, where reading starts). Pass it as
   * `lastEventId` to a new QueueEvents to go on where this one stopped.
   */
  get lastEventId(): string | undefined {
    return this.cursor;
  }

  /**
   * Calls `watcher` once when close() begins, so waiters (waitUntilFinished) can give up instead of
   * waiting for events that will never come. Returns the function that unregisters it. A set rather
   * than an event: thousands of waiters are normal and would trip the max-listeners warning.
   */
  onClosing(watcher: () => void): () => void {
    this.closeWatchers.add(watcher);
    return () => this.closeWatchers.delete(watcher);
  }

  isRunning(): boolean {
    return this.running !== undefined && !this.closing;
  }

  /** Starts reading; resolves when closed (at once when it is closed already, as BullMQ's). */
  run(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.running) return Promise.reject(new Error(`Queue Events is already running. (QueueEvents "${this.name}")`));
    this.running = this.consume();
    return this.running;
  }

  /**
   * Resolves once Redis is reachable and, when running, once the read position is fixed: every
   * entry added after this resolves will be emitted.
   */
  override async waitUntilReady(): Promise<RedisClient> {
    const client = await super.waitUntilReady();
    if (this.running) {
      await this.positioned;
      if (this.closing) throw new Error(`QueueEvents "${this.name}" is closed`);
    }
    return client;
  }

  private async consume(): Promise<void> {
    const blocking = duplicateConnection(this.connection.client, {
      connectionName: queueEventsClientName(this.prefix, this.name),
      // a read issued while disconnected waits for the reconnect instead of failing
      maxRetriesPerRequest: null,
    });
    this.blocking = blocking;
    blocking.on('error', (err: Error) => {
      if (!this.closing) this.emitError(err);
    });
    blocking.on('close', () => {
      if (!this.closing) this.emit('ioredis:close');
    });

    let failures = 0;
    while (!this.closing) {
      try {
        if (!this.isPositioned) {
          // '$' is fixed to a concrete id once, so a reconnect cannot skip what came in between
          if (this.cursor === undefined) this.cursor = await this.interruptible(this.streamEnd(blocking));
          if (this.closing) break;
          this.isPositioned = true;
          this.markPositioned();
        }
        const reply = (await this.interruptible(
          blocking.xread('COUNT', READ_BATCH, 'BLOCK', this.opts.blockingTimeout, 'STREAMS', this.keys.events, this.cursor!),
        )) as [string, [string, string[]][]][] | null;
        failures = 0;
        if (reply && !this.closing) this.deliver(reply[0][1]);
      } catch (err) {
        if (this.closing) break;
        this.emitError(err);
        failures += 1;
        await this.sleep(Math.min(READ_RETRY_MS.first * 2 ** (failures - 1), READ_RETRY_MS.max));
      }
    }
  }

  /** The id of the newest entry, or "0-0" for an empty or missing stream: XREAD's '$' made concrete. */
  private async streamEnd(client: RedisClient): Promise<string> {
    const [last] = await client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1);
    return last ? last[0] : '0-0';
  }

  private deliver(entries: [string, string[]][]): void {
    for (const [id, fields] of entries) {
      if (this.closing) return;
      this.cursor = id;
      try {
        this.dispatch(id, fields);
      } catch (err) {
        // a throwing listener must not stop the reader nor make it deliver the entry again
        try {
          this.emitError(err);
        } catch {
          // the error listener threw too; nothing left to tell
        }
      }
    }
  }

  private dispatch(id: string, fields: string[]): void {
    const { event, args } = parseEventFields(fields);
    // 'error' is reserved for connection problems (and throws without a listener)
    if (event === undefined || event === 'error') return;
    if (event === 'drained') {
      this.emit('drained', id);
      return;
    }
    this.emit(event, args, id);
    if (typeof args.jobId === 'string') this.emit(`${event}:${args.jobId}`, args, id);
  }

  /**
   * Settles with `work`, or with undefined as soon as close() begins: a command queued on a
   * connection that is down (and now never coming back) would otherwise hold close() forever.
   * One resolver in a field, not a race against a shared promise, so nothing piles up per read.
   */
  private interruptible<T>(work: Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const interrupt = () => resolve(undefined);
      this.interrupt = interrupt;
      work.then(resolve, reject).finally(() => {
        if (this.interrupt === interrupt) this.interrupt = undefined;
      });
    });
  }

  /** Waits `ms`, cut short by close(). */
  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    return this.interruptible(elapsed).then(() => clearTimeout(timer));
  }

  /** Stops reading at once (a blocking read in progress is cut) and closes the connections it owns. */
  close(): Promise<void> {
    // closing is set before any of the shutdown runs, so handlers fired by it see it
    if (!this.closing) this.closing = Promise.resolve().then(() => this.shutdown());
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.markPositioned();
    const watchers = [...this.closeWatchers];
    this.closeWatchers.clear();
    for (const watcher of watchers) watcher();
    this.interrupt?.();
    // the blocking connection is always our own duplicate, so it is ours to cut
    this.blocking?.disconnect();
    await this.running?.catch(() => {});
    await this.closeConnection();
  }

  override async disconnect(): Promise<void> {
    await this.close();
  }
}

type KeyOf<T extends object> = Extract<keyof T, string>;

/**
 * Typed as BullMQ's: `on('completed', ...)` knows its payload, and a listener map of one's own
 * names custom events (`on<MyListener>('example', ...)`, see QueueEventsProducer); any other name
 * (`completed:<jobId>`) takes any listener.
 */
export interface QueueEvents<ReturnType = any, B = RedisQueueBackend, ConnectionOptionsType = ConnectionOptions> {
  on<QEL extends QueueEventsListener<ReturnType> = QueueEventsListener<ReturnType>, U extends KeyOf<QEL> = KeyOf<QEL>>(
    event: U,
    listener: QEL[U],
  ): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once<QEL extends QueueEventsListener<ReturnType> = QueueEventsListener<ReturnType>, U extends KeyOf<QEL> = KeyOf<QEL>>(
    event: U,
    listener: QEL[U],
  ): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  off<QEL extends QueueEventsListener<ReturnType> = QueueEventsListener<ReturnType>, U extends KeyOf<QEL> = KeyOf<QEL>>(
    eventName: U,
    listener: QEL[U],
  ): this;
  off(event: string | symbol, listener: (...args: any[]) => void): this;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
