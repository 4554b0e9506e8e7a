import { duplicateConnection, whenReady, type RedisClient } from '../connection/connection.js';
import { retryDelayMs } from '../core/timing.js';
import type { WorkerContext } from './context.js';

export interface BlockingHost extends Pick<WorkerContext, 'connection' | 'state' | 'slots' | 'reporter'> {
  /** The command connection once it is ready (worker.client: it rejects once the worker closed it). */
  commandClient(): Promise<RedisClient>;
  /** The name the connection gives itself (CLIENT SETNAME): how getWorkers finds the worker. */
  clientName(): string;
  /** A wait that close() ends at once. */
  sleep(ms: number): Promise<void>;
}

/**
 * The worker's second connection, on which it blocks (BZPOPMIN on the queue's marker) while the
 * queue is empty. Always our own duplicate of the command connection, even of a client the user
 * passed, so close() may disconnect it to end a wait in progress at once.
 */
export class BlockingConnection {
  private current: RedisClient | undefined;
  /** The connection being made (see ensure). */
  private connecting: Promise<boolean> | undefined;

  constructor(private readonly host: BlockingHost) {}

  /** The client, once made (it may not be ready yet). */
  get client(): RedisClient | undefined {
    return this.current;
  }

  /**
   * Makes the connection, once, for whoever asks first: the constructor (BullMQ's workers connect
   * at once, run or not), run(), or manual processing. False if close() began first.
   */
  ensure(): Promise<boolean> {
    if (this.current) return Promise.resolve(true);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Resolves once the connection is up, false if close() began first. A connection that cannot
   * come up yet keeps trying by itself (its errors are reported): the wait ends all the same.
   * The loop's first fetch waits for it, as BullMQ's: a worker starting up does not take the job
   * that woke a worker already waiting on the marker.
   */
  async up(): Promise<boolean> {
    if (!(await this.ensure())) return false;
    await whenReady(this.current!).catch(() => {});
    return !this.host.state.closing;
  }

  /** Disconnects the client if one was made (undefined if none was). */
  disconnect(): Promise<void> | undefined {
    return this.current && disconnectBlocking(this.current);
  }

  /** The command connection must answer before the blocking one is made (it copies its options). */
  private async connect(): Promise<boolean> {
    const { host } = this;
    let failures = 0;
    while (!host.state.closing) {
      try {
        // close() must not wait for a connection that may never come
        const ready = await Promise.race([host.commandClient().then(() => true), host.slots.changed.wait().then(() => false)]);
        if (host.state.closing) return false;
        if (!ready) continue;
        const blocking = duplicateConnection(host.connection.client, {
          connectionName: host.clientName(),
          // a BZPOPMIN waits through a reconnect instead of failing
          maxRetriesPerRequest: null,
        });
        blocking.on('error', (err: Error) => {
          // an outage is already reported by our own command connection; say it once, not twice
          if (!host.state.closing && !host.connection.owned) host.reporter.emitError(err);
        });
        this.current = blocking;
        return true;
      } catch (err) {
        if (host.state.closing) return false;
        host.reporter.emitError(err);
        failures += 1;
        await host.sleep(retryDelayMs(failures));
      }
    }
    return false;
  }
}

/** `<prefix>:<queue name in base64>[:w:<worker name>]`, as BullMQ names a worker's connection. */
export function blockingClientName(prefix: string, queueName: string, workerName: string | undefined): string {
  const base = `${prefix}:${Buffer.from(queueName).toString('base64')}`;
  return workerName ? `${base}:w:${workerName}` : base;
}

/**
 * Disconnects a blocking client without leaving ioredis' 2 s timer (which holds the process) behind:
 * that happens on a disconnect() of an ended client, or during the ready check (status "connect"),
 * so an ended client is left alone and a ready check is allowed to finish first (briefly).
 */
export function disconnectBlocking(client: RedisClient): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  if (client.status !== 'connect') {
    client.disconnect();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      client.off('close', done);
      if (client.status !== 'end') client.disconnect();
      resolve();
    };
    const timer = setTimeout(done, 1000);
    timer.unref?.();
    client.once('ready', done);
    client.once('close', done);
  });
}
