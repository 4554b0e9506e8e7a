import type { EventEmitter } from 'node:events';
import { isClusterClient } from '../connection/cluster.js';
import { isRedisReply, retryDelayAfter, type RedisClient } from '../connection/connection.js';
import { runScript } from '../core/scripts.js';
import type { WorkerContext } from './context.js';
import { triesSpent } from './held-moves.js';

/**
 * How often a reclaim whose calls fail is tried again before the jobs are left to the stalled
 * checker; a refusal (OOM, LOADING...) is tried for REFUSAL_RETRY_WINDOW_MS instead, as the moves
 * of held jobs are.
 */
export const RECLAIM_RETRIES = 20;

/**
 * The fetches (moveToActive, and moveToFinished with its fetch-next) that are in flight: begin()
 * before the call goes out, end() once it settled. Costs two integer operations per call and no
 * Redis command; the reclaim uses it to know when every reply that could still bring it a job has
 * been handled.
 */
export class FetchesInFlight {
  private epoch = 0;
  /** Calls begun in the current epoch and not ended. */
  private current = 0;
  /** Calls begun in earlier epochs and not ended. */
  private older = 0;
  private waiters: (() => void)[] = [];
  /**
   * A call failed otherwise than by a Redis reply (its connection dropped, it timed out): Redis
   * may have run it, and the jobs it took are in active under this worker's token.
   */
  onUnreadReply: (() => void) | undefined;

  /** A fetch goes out; pass what this returns to end(). */
  begin(): number {
    this.current += 1;
    return this.epoch;
  }

  /** The fetch begun with `ticket` settled (`err`: it failed). */
  end(ticket: number, err?: unknown): void {
    if (ticket === this.epoch) this.current -= 1;
    else if (--this.older === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
    if (err !== undefined && !isRedisReply(err)) this.onUnreadReply?.();
  }

  /** Whether a fetch has begun and not settled. */
  any(): boolean {
    return this.current + this.older > 0;
  }

  /** Resolves once every fetch begun before this call has settled (later ones are not waited for). */
  settled(): Promise<void> {
    this.older += this.current;
    this.current = 0;
    this.epoch += 1;
    if (this.older === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** What a connection watcher is told. */
export interface ConnectionWatch {
  /** The connection dropped after it had been ready (once per outage). */
  dropped(): void;
  /** It is usable again after a drop. */
  back(): void;
}

/** One set of listeners per client, however many workers share it (a user's client may serve dozens). */
const watchers = new WeakMap<object, Set<ConnectionWatch>>();

/**
 * Tells `watch` when `client`'s connection drops and when it is usable again: a plain client's
 * 'close' after it was ready, then its next 'ready'; on a cluster also a node connection lost
 * ('-node') and a new one made ('+node'): ioredis does not re-make a node's connection, it sends
 * what was in flight there again, after a refresh of the slots, through a new one. Returns the
 * function that stops telling.
 */
export function watchConnection(client: RedisClient, watch: ConnectionWatch): () => void {
  let all = watchers.get(client);
  if (!all) {
    const listeners = new Set<ConnectionWatch>();
    all = listeners;
    watchers.set(client, listeners);
    const emitter = client as unknown as EventEmitter;
    let wasReady = client.status === 'ready';
    let down = false;
    const dropped = () => {
      // a connect attempt that failed before the first 'ready' lost nothing
      if (!wasReady || down) return;
      down = true;
      for (const w of [...listeners]) w.dropped();
    };
    const back = () => {
      wasReady = true;
      if (!down) return;
      down = false;
      for (const w of [...listeners]) w.back();
    };
    emitter.on('close', dropped);
    emitter.on('ready', back);
    if (isClusterClient(client)) {
      emitter.on('-node', dropped);
      emitter.on('+node', back);
    }
  }
  const own = all;
  // a copy: the same watch may be added twice and removed once
  const entry: ConnectionWatch = { dropped: () => watch.dropped(), back: () => watch.back() };
  own.add(entry);
  return () => own.delete(entry);
}

export interface ReclaimHost extends Pick<
  WorkerContext,
  'connection' | 'keys' | 'opts' | 'state' | 'slots' | 'reporter' | 'fetches' | 'delay'
> {
  /** Tokens are `<workerId>:<n>`. */
  readonly workerId: string;
}

/**
 * Takes back the jobs a fetch handed this worker in a reply it never read. When a connection drops
 * after Redis ran a fetch but before the reply arrived, ioredis sends the fetch again once it has
 * reconnected, and that second run takes other jobs: the first ones sit in active, locked with this
 * worker's token, held by no one, until the lock runs out and the stalled checker moves them.
 *
 * After a reconnect that followed a drop with a fetch in flight (and after a fetch that failed
 * without a Redis reply), one pass:
 * 1. findJobsLockedBy lists the jobs in active whose lock holds one of this worker's tokens, with
 *    their `ats`. It goes out after the calls ioredis sends again, so it sees what they did.
 * 2. Any fetch that ran before that script was sent before its reply came back: once every fetch
 *    begun by then has settled (FetchesInFlight) and its reply was handled (a turn of the event
 *    loop: a reply is handled in microtasks), a job the worker does not hold is nobody's.
 * 3. reclaimJobs hands those back in front of the queue, as a graceful close does, each only if it
 *    is still in the activation seen in step 1 (same `ats`, same token or no lock).
 * Nothing runs while no connection dropped with a fetch in flight: no command, no timer (after a
 * Redis restart, the workers that were idle or busy with their jobs scan nothing).
 */
export class Reclaimer {
  private detach: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Drops (and fetches failed without a reply) seen, and how many of them the last pass that went through covered. */
  private drops = 0;
  private covered = 0;
  /** The drops the pass under way (or the last one) is to cover. */
  private passDrops = 0;
  /** Ends a wait between tries at stop(). */
  private abort = new AbortController();

  constructor(private readonly host: ReclaimHost) {}

  /** Watches the command connection from now on (the fetch loop started). */
  start(): void {
    if (this.detach) return;
    this.abort = new AbortController();
    this.detach = watchConnection(this.host.connection.client, {
      // a drop can lose a reply only if a fetch was waiting for one (ioredis keeps such a call
      // pending to send it again); a fetch that fails outright counts its own drop (request(true))
      dropped: () => {
        if (this.host.fetches.any()) this.drops += 1;
      },
      back: () => {
        if (this.drops > this.covered) this.request();
      },
    });
  }

  /**
   * Stops watching. A pass under way, or one owed for a drop whose reconnect came before the
   * pass could (close() began meanwhile), runs to its end first if the connection is up: close()
   * leaves nothing in active that it could hand back. So does one more pass when a drop came
   * after the running pass had scanned (that pass cannot see what the drop left), unless the
   * running pass gave up. With the connection down it owes nothing: the stalled checker has
   * those jobs.
   */
  async stop(): Promise<void> {
    const ready = () => this.host.connection.client.status === 'ready';
    const watching = this.detach !== undefined;
    if (watching && !this.running && this.drops > this.covered && ready()) this.request();
    const after = this.running !== undefined && this.drops > this.passDrops;
    this.detach?.();
    this.detach = undefined;
    this.again = false;
    this.abort.abort();
    await this.running;
    if (after && this.covered >= this.passDrops && this.drops > this.covered && ready()) {
      this.running = this.passes().finally(() => (this.running = undefined));
      await this.running;
    }
  }

  /**
   * Asks for a pass (one in progress is followed by another: the connection may have dropped again
   * after its scan). `failedFetch`: a fetch failed without a Redis reply; while the connection is
   * down the reconnect asks instead.
   */
  request(failedFetch = false): void {
    if (!this.detach) return;
    if (failedFetch) {
      this.drops += 1;
      if (this.host.connection.client.status !== 'ready') return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.passes().finally(() => (this.running = undefined));
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      const drops = this.drops;
      this.passDrops = drops;
      if (await this.passRetried()) this.covered = Math.max(this.covered, drops);
    } while (this.again && this.detach);
  }

  /** A pass, tried again while its calls fail (the connection may be flapping); false if it gave up. */
  private async passRetried(): Promise<boolean> {
    const { state, reporter } = this.host;
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pass();
        return true;
      } catch (err) {
        reporter.reportRetried(err);
        if (triesSpent(err, attempt, since, RECLAIM_RETRIES) || !this.detach || state.forceClosing) {
          reporter.reportGivingUp(err);
          return false;
        }
        await this.host.delay(retryDelayAfter(err, attempt), this.abort);
        // stop() ended the wait: no call after it (with Redis away, one would wait for its return)
        if (!this.detach) return false;
      }
    }
  }

  /** One pass (see the class); resolves with the ids handed back. */
  async pass(): Promise<string[]> {
    const { connection, keys, opts, state, slots, fetches, workerId } = this.host;
    const found = (await runScript(connection.client, 'findJobsLockedBy', [keys.active], [keys.base, `${workerId}:`])) as string[];
    if (found.length === 0) return [];
    // taken as the reply is handled: every fetch that ran before the scan was begun before this
    if (!(await settledWithin(fetches.settled(), opts.lockDuration))) {
      // a fetch still unanswered: its reply may yet bring these jobs; the stalled checker has them
      return [];
    }
    await new Promise((resolve) => setImmediate(resolve));
    // a forced close leaves its jobs in active on purpose (BullMQ's crash simulation)
    if (state.forceClosing) return [];
    const args: string[] = [keys.base];
    for (let i = 0; i + 2 < found.length; i += 3) if (!slots.get(found[i])) args.push(found[i], found[i + 1], found[i + 2]);
    if (args.length === 1) return [];
    return (await runScript(connection.client, 'reclaimJobs', [keys.active], args)) as string[];
  }
}

/** Whether `promise` settled within `ms`. */
async function settledWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
