import type { Logger } from '@nestjs/common';
import { closeConnection, describeServer, openConnection, redact, type HeldConnection, type RedisClient } from '../engine/connection.js';
import { FlowProducer } from '../engine/flow-producer.js';
import { Queue } from '../engine/queue.js';
import { QueueEvents } from '../engine/queue-events.js';
import type { WorkerOptions } from '../engine/worker.js';
import type { QueueEventsListenerOptions } from './decorators/queue-events.decorator.js';
import type { ProcessorWorkerOptions } from './interfaces/processor-options.interface.js';
import type { FlowProducerRegistrationOptions } from './interfaces/register-flow-producer-options.interface.js';
import type { QueueRegistrationOptions } from './interfaces/register-queue-options.interface.js';
import type { ResolvedModuleOptions } from './module-options.js';
import { REDIS_ERROR } from './queue.messages.js';
import { RepeatFilter } from './repeat-filter.js';

/**
 * One `forRoot` connection: a single command client that every queue, worker and listener of this
 * `configKey` shares (workers and listeners add the blocking connections they need), and the
 * queues and QueueEvents made on it, so shutdown can close them in order.
 */
export class ModuleConnection {
  readonly client: RedisClient;
  private readonly held: HeldConnection;
  private readonly queues = new Map<string, Queue>();
  private readonly listeners = new Map<string, QueueEvents>();
  private readonly flowProducers = new Map<string, FlowProducer>();
  private readonly repeats = new RepeatFilter();

  constructor(
    readonly configKey: string,
    readonly options: ResolvedModuleOptions,
    private readonly logger: Logger,
  ) {
    this.held = openConnection(options.connection);
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

  /** The queue named `name`, made on first use; later registrations of the name share it. */
  queue(name: string, registration: QueueRegistrationOptions = {}): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        ...registration,
        prefix: registration.prefix ?? this.options.prefix,
        defaultJobOptions: { ...this.options.defaultJobOptions, ...registration.defaultJobOptions },
        connection: this.client,
      });
      queue.on('error', (err: Error) => this.onError(err));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** The flow producer named `name`, made on first use; later registrations of the name share it. */
  flowProducer(name: string, registration: FlowProducerRegistrationOptions = {}): FlowProducer {
    let producer = this.flowProducers.get(name);
    if (!producer) {
      producer = new FlowProducer({ ...registration, prefix: registration.prefix ?? this.options.prefix, connection: this.client });
      producer.on('error', (err: Error) => this.onError(err));
      this.flowProducers.set(name, producer);
    }
    return producer;
  }

  findQueue(name: string): Queue | undefined {
    return this.queues.get(name);
  }

  /** The one QueueEvents of a queue on this connection, made (not yet reading) on first use. */
  queueEvents(name: string, options: QueueEventsListenerOptions = {}): QueueEvents {
    let events = this.listeners.get(name);
    if (!events) {
      const prefix = this.queues.get(name)?.prefix ?? this.options.prefix;
      events = new QueueEvents(name, { ...options, prefix, connection: this.client, autorun: false });
      events.on('error', (err: Error) => this.onError(err));
      this.listeners.set(name, events);
    }
    return events;
  }

  /** Options of a worker for `queue`: its prefix, this connection, and never started by itself. */
  workerOptions(queue: Queue, options: ProcessorWorkerOptions): WorkerOptions {
    return { ...options, prefix: queue.prefix, connection: this.client, autorun: false };
  }

  get allQueueEvents(): QueueEvents[] {
    return [...this.listeners.values()];
  }

  async closeQueueEvents(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((events) => events.close()));
  }

  /** Closes the queues and flow producers (their shared connection stays open until close()). */
  async closeQueues(): Promise<void> {
    await Promise.all([...this.queues.values(), ...this.flowProducers.values()].map((producer) => producer.close()));
  }

  /** Closes the command connection unless the user passed it in. */
  async close(): Promise<void> {
    await closeConnection(this.held);
  }
}
