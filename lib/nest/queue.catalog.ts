import { Injectable, Logger } from '@nestjs/common';
import { ConnectionConfigError } from './errors/connection-config.error.js';
import { MissingBullSharedConfigurationError } from './errors/missing-shared-config.error.js';
import { QueueNotRegisteredError } from './errors/queue-not-registered.error.js';
import type { QueueReference } from './interfaces/processor-options.interface.js';
import type { QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import { ModuleConnection, type QueueTarget } from './module-connection.js';
import { resolveModuleOptions, type ModuleStyle } from './module-options.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';

/** How a forRoot behaves beyond its options. */
export interface RootSettings {
  style: ModuleStyle;
  manualRegistration: boolean;
}

/**
 * Every connection `forRoot` opened in this app, by configKey, with the queues made on them.
 * Internal: processors, listeners, the health indicator and shutdown find their queues here.
 */
@Injectable()
export class QueueCatalog {
  private readonly logger = new Logger('QueueModule');
  private readonly connections = new Map<string, ModuleConnection>();
  /** What failed the boot while providers were made (see failingBoot). */
  private bootFailure: unknown;

  open(
    configKey: string,
    options: QueueModuleOptions | undefined,
    settings: RootSettings = { style: 'conveyor', manualRegistration: false },
  ): ModuleConnection {
    return this.failingBoot(() => {
      if (this.connections.has(configKey)) throw new ConnectionConfigError(configKey, 'duplicate');
      const resolved = resolveModuleOptions(options, configKey, settings.style, (message) => this.logger.warn(message));
      const connection = new ModuleConnection(configKey, resolved, this.logger, settings.style, settings.manualRegistration);
      this.connections.set(configKey, connection);
      return connection;
    });
  }

  /**
   * Runs a step of making the module's providers; if it throws, the boot fails before Nest could
   * call any shutdown hook, so every connection opened so far is dropped first.
   */
  failingBoot<T>(step: () => T): T {
    // Nest may still make other providers after one failed: they must not open anything
    if (this.bootFailure) throw this.bootFailure;
    try {
      return step();
    } catch (err) {
      this.bootFailure = err;
      for (const connection of this.connections.values()) connection.abandon();
      this.connections.clear();
      throw err;
    }
  }

  connection(configKey: string): ModuleConnection {
    const connection = this.connections.get(configKey);
    if (!connection) throw new ConnectionConfigError(configKey, 'missing');
    return connection;
  }

  /**
   * The connection a registration (or processor) named `owner` uses. Without any forRoot of the
   * default key, a @nestjs/bullmq-style one gets a connection with BullMQ's defaults, connected
   * only if used (its queue may have a connection of its own), as @nestjs/bullmq allows.
   */
  connectionFor(configKey: string | undefined, owner: string, style: ModuleStyle): ModuleConnection {
    const key = configKey ?? DEFAULT_CONFIG_KEY;
    const found = this.connections.get(key);
    if (found) return found;
    if (key !== DEFAULT_CONFIG_KEY || style === 'conveyor') throw new MissingBullSharedConfigurationError(key, owner);
    const implicit = new ModuleConnection(key, resolveModuleOptions({}, key, 'bullmq'), this.logger, 'bullmq', false, true);
    this.connections.set(key, implicit);
    return implicit;
  }

  get all(): ModuleConnection[] {
    return [...this.connections.values()];
  }

  /**
   * The registered queue a processor or listener names: on its configKey, or else on the one
   * connection that has a queue of that name.
   */
  resolveQueue(owner: string, ref: QueueReference): { connection: ModuleConnection; target: QueueTarget } {
    const candidates = ref.configKey === undefined ? this.all : this.connections.has(ref.configKey) ? [this.connection(ref.configKey)] : [];
    const found = candidates.filter((c) => c.findQueue(ref.name));
    if (found.length !== 1)
      throw new QueueNotRegisteredError(
        owner,
        ref.name,
        ref.configKey,
        found.map((c) => c.configKey),
      );
    return { connection: found[0], target: found[0].target(ref.name) };
  }

  /**
   * The queue a processor serves: the registered one, as for listeners. @nestjs/bullmq also runs a
   * processor for a queue no module registered, with its configKey's forRoot options (a worker-only
   * service need not register the queue it consumes); a BullModule connection does the same.
   */
  resolveProcessorQueue(owner: string, ref: QueueReference): { connection: ModuleConnection; target: QueueTarget } {
    try {
      return this.resolveQueue(owner, ref);
    } catch (err) {
      if (!(err instanceof QueueNotRegisteredError) || (err.candidates?.length ?? 0) > 1) throw err;
      const key = ref.configKey ?? DEFAULT_CONFIG_KEY;
      const connection = this.connections.get(key);
      if (connection?.style === 'bullmq') return { connection, target: connection.target(ref.name) };
      // no forRoot at all, or only BullModule's but none of this key: as @nestjs/bullmq, BullMQ's defaults
      if (!connection && key === DEFAULT_CONFIG_KEY && this.all.every((c) => c.style === 'bullmq')) {
        const implicit = this.connectionFor(key, `Processor(${owner})`, 'bullmq');
        return { connection: implicit, target: implicit.target(ref.name) };
      }
      throw err;
    }
  }

  /** Closes, in this order: every QueueEvents, every queue, then every connection we opened. */
  async closeAll(): Promise<void> {
    const connections = this.all;
    await Promise.all(connections.map((c) => c.closeQueueEvents()));
    await Promise.all(connections.map((c) => c.closeQueues()));
    await Promise.all(connections.map((c) => c.close()));
    this.connections.clear();
  }
}
