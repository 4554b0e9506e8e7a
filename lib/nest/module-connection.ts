import type { Logger } from '@nestjs/common';
import {
  QueueEvents,
  type ConnectionOptions,
  type FlowProducer,
  type Queue,
  type RedisClient,
  type Telemetry,
  type WorkerOptions,
} from '../engine/index.js';
import { closeConnection, describeServer, openConnection, redact, type HeldConnection } from '../engine/internal.js';
import { engineClasses } from './engine-classes.js';
import type { NestQueueEventOptions, ProcessorWorkerOptions } from './interfaces/processor-options.interface.js';
import type { FlowProducerRegistrationOptions } from './interfaces/register-flow-producer-options.interface.js';
import type { QueueRegistrationOptions } from './interfaces/register-queue-options.interface.js';
import type { ModuleStyle, ResolvedModuleOptions } from './module-options.js';
import { REDIS_ERROR } from './queue.messages.js';
import { RepeatFilter } from './repeat-filter.js';

/** Where a queue's workers and listeners connect: its name, prefix and connection. */
export interface QueueTarget {
  name: string;
  prefix: string;
  /** The connection's shared client, or the queue's own connection options. */
  connection: ConnectionOptions;
  telemetry?: Telemetry;
}

interface Made<T> {
  instance: T;
  target: QueueTarget;
  /** Drop the connection at shutdown instead of closing it gracefully. */
  forceDisconnect: boolean;
}

/** Options a registration may carry that shape the module rather than the queue. */
const REGISTRATION_ONLY = ['name', 'processors', 'sharedConnection', 'forceDisconnectOnShutdown'] as const;

/**
 * One `forRoot` connection: a single command client that every queue, worker and listener of this
 * `configKey` shares (workers and listeners add the blocking connections they need; a queue
 * registered with a connection of its own uses that one), and the queues and QueueEvents made on
 * it, so shutdown can close them in order.
 */
export class ModuleConnection {
  readonly client: RedisClient;
  private readonly held: HeldConnection;
  private readonly queues = new Map<string, Made<Queue>>();
  private readonly sharedListeners = new Map<string, QueueEvents>();
  private readonly ownListeners: QueueEvents[] = [];
  private readonly flowProducers = new Map<string, Made<FlowProducer>>();
  private readonly repeats = new RepeatFilter();

  constructor(
    readonly configKey: string,
    readonly options: ResolvedModuleOptions,
    private readonly logger: Logger,
    /** How this connection's forRoot behaves where @nestjs/bullmq and QueueModule differ. */
    readonly style: ModuleStyle = 'conveyor',
    /** Processors and listeners on it wait for BullRegistrar.register(). */
    readonly manualRegistration = false,
    /** Made for queues registered without any forRoot: it connects only if something uses it. */
    readonly implicit = false,
  ) {
    this.held = openConnection(options.connection, implicit ? { lazyConnect: true } : {});
    this.client = this.held.client;
    // a client the user passed has the user's own listeners; ours only need one not to crash on errors
    if (this.held.owned) {
      this.client.on('error', (err: Error) => this.onError(err));
      this.client.on('ready', () => this.repeats.reset(configKey));
    }
  }

  /** Logs each distinct error once while it repeats (ioredis reports every failed reconnect). */
  private onError(err: Error): void {
    const message = redact(err.message);
    if (!this.repeats.isNew(this.configKey, message)) return;
    this.logger.warn(REDIS_ERROR(this.configKey, describeServer(this.client), message));
  }

  /**
   * The options a queue registered here is made with: this connection's queue options, then the
   * registration's own. @nestjs/bullmq's registrations replace an option as a whole; QueueModule's
   * merge `defaultJobOptions` (the registration's win, key by key).
   */
  queueOptions(name: string, registration: QueueRegistrationOptions, style: ModuleStyle): QueueRegistrationOptions & { name: string } {
    const own = defined(registration);
    const merged: QueueRegistrationOptions & { name: string } = { ...this.options.queueDefaults, ...own, name };
    if (style === 'conveyor' && (this.options.defaultJobOptions || own.defaultJobOptions)) {
      merged.defaultJobOptions = { ...this.options.defaultJobOptions, ...own.defaultJobOptions };
    }
    return merged;
  }

  /** The queue named `name`, made on first use from `queueOptions`; later registrations of the name share it. */
  queue(name: string, options: QueueRegistrationOptions = {}): Queue {
    const made = this.queues.get(name);
    if (made) return made.instance;
    const { connection, forceDisconnectOnShutdown } = options;
    const instance = new engineClasses.queue(name, { ...withoutRegistrationKeys(options), connection: connection ?? this.client });
    instance.on('error', (err: Error) => this.onError(err));
    const target = { name, prefix: instance.prefix, connection: connection ?? this.client, telemetry: options.telemetry };
    this.queues.set(name, { instance, target, forceDisconnect: forceDisconnectOnShutdown === true });
    return instance;
  }

  findQueue(name: string): Queue | undefined {
    return this.queues.get(name)?.instance;
  }

  /** Every queue registered on this connection so far. */
  get allQueues(): Queue[] {
    return [...this.queues.values()].map((made) => made.instance);
  }

  /** Where workers and listeners of `name` connect: as its queue does, or else with this connection's defaults. */
  target(name: string): QueueTarget {
    return (
      this.queues.get(name)?.target ?? {
        name,
        prefix: this.options.prefix,
        connection: this.client,
        telemetry: this.options.queueDefaults.telemetry,
      }
    );
  }

  /** The options a flow producer registered here is made with (a registration replaces an option as a whole). */
  flowProducerOptions(registration: FlowProducerRegistrationOptions): FlowProducerRegistrationOptions {
    const { prefix, telemetry, customBackoffTypes } = this.options.queueDefaults;
    return { ...defined({ prefix, telemetry, customBackoffTypes }), ...defined(registration) };
  }

  /** The flow producer named `name`, made on first use; later registrations of the name share it. */
  flowProducer(name: string, options: FlowProducerRegistrationOptions): FlowProducer {
    const made = this.flowProducers.get(name);
    if (made) return made.instance;
    const { connection, forceDisconnectOnShutdown, ...rest } = options;
    const instance = new engineClasses.flowProducer({ ...rest, connection: connection ?? this.client });
    instance.on('error', (err: Error) => this.onError(err));
    const target = { name, prefix: instance.prefix, connection: connection ?? this.client };
    // a flow producer is dropped at shutdown unless told otherwise, as in @nestjs/bullmq
    this.flowProducers.set(name, { instance, target, forceDisconnect: forceDisconnectOnShutdown !== false });
    return instance;
  }

  /**
   * The QueueEvents a listener of `name` reads. Listeners without options share one per queue;
   * options give the listener one of its own. Made without reading: the explorer starts it.
   */
  queueEvents(name: string, options: NestQueueEventOptions = {}): { events: QueueEvents; autorun: boolean } {
    const { sharedConnection: _ignored, telemetry: _none, autorun = true, ...own } = options;
    const { connection, prefix } = this.target(name);
    const make = () => {
      const events = new QueueEvents(name, { prefix, connection, ...defined(own), autorun: false });
      events.on('error', (err: Error) => this.onError(err));
      return events;
    };
    if (Object.keys(defined(options)).length > 0) {
      const events = make();
      this.ownListeners.push(events);
      return { events, autorun };
    }
    let events = this.sharedListeners.get(name);
    if (!events) this.sharedListeners.set(name, (events = make()));
    return { events, autorun: true };
  }

  /**
   * Options of a worker for `target`: its connection, prefix and telemetry unless the processor
   * sets its own, and never started by itself.
   */
  workerOptions(target: QueueTarget, options: ProcessorWorkerOptions): WorkerOptions {
    const { sharedConnection: _ignored, ...own } = options;
    return { connection: target.connection, prefix: target.prefix, telemetry: target.telemetry, ...defined(own), autorun: false };
  }

  get allQueueEvents(): QueueEvents[] {
    return [...this.sharedListeners.values(), ...this.ownListeners];
  }

  async closeQueueEvents(): Promise<void> {
    await Promise.all(this.allQueueEvents.map((events) => events.close()));
  }

  /** Closes the queues and flow producers (their shared connection stays open until close()). */
  async closeQueues(): Promise<void> {
    const all: Made<{ close(): Promise<void>; disconnect(): Promise<void> }>[] = [...this.queues.values(), ...this.flowProducers.values()];
    await Promise.all(all.map(({ instance, forceDisconnect }) => (forceDisconnect ? instance.disconnect() : instance.close())));
  }

  /**
   * Drops everything at once, for a boot that failed while making providers: Nest never calls the
   * shutdown hooks then, and open clients would keep the process alive.
   */
  abandon(): void {
    const all: Made<{ disconnect(): Promise<void> }>[] = [...this.queues.values(), ...this.flowProducers.values()];
    for (const { instance } of all) instance.disconnect().catch(() => {});
    for (const events of this.allQueueEvents) events.close().catch(() => {});
    closeConnection(this.held, true).catch(() => {});
  }

  /** Closes the command connection unless the user passed it in. */
  async close(): Promise<void> {
    await closeConnection(this.held, this.implicit);
  }
}

function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

function withoutRegistrationKeys<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([k]) => !(REGISTRATION_ONLY as readonly string[]).includes(k))) as T;
}
