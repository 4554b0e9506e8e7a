import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from '../engine/queue.js';
import { ConnectionConfigError } from './errors/connection-config.error.js';
import { QueueNotRegisteredError } from './errors/queue-not-registered.error.js';
import type { QueueModuleOptions } from './interfaces/queue-module-options.interface.js';
import type { QueueReference } from './interfaces/processor-options.interface.js';
import { ModuleConnection } from './module-connection.js';
import { resolveModuleOptions } from './module-options.js';

/**
 * Every connection `forRoot` opened in this app, by configKey, with the queues made on them.
 * Internal: processors, listeners, the health indicator and shutdown find their queues here.
 */
@Injectable()
export class QueueCatalog {
  private readonly logger = new Logger('QueueModule');
  private readonly connections = new Map<string, ModuleConnection>();

  open(configKey: string, options: QueueModuleOptions | undefined): ModuleConnection {
    if (this.connections.has(configKey)) throw new ConnectionConfigError(configKey, 'duplicate');
    const connection = new ModuleConnection(configKey, resolveModuleOptions(options, configKey), this.logger);
    this.connections.set(configKey, connection);
    return connection;
  }

  connection(configKey: string): ModuleConnection {
    const connection = this.connections.get(configKey);
    if (!connection) throw new ConnectionConfigError(configKey, 'missing');
    return connection;
  }

  get all(): ModuleConnection[] {
    return [...this.connections.values()];
  }

  /**
   * The registered queue a processor or listener names: on its configKey, or else on the one
   * connection that has a queue of that name.
   */
  resolveQueue(owner: string, ref: QueueReference): { connection: ModuleConnection; queue: Queue } {
    const candidates = ref.configKey === undefined ? this.all : this.connections.has(ref.configKey) ? [this.connection(ref.configKey)] : [];
    const found = candidates.filter((c) => c.findQueue(ref.name));
    if (found.length !== 1) {
      throw new QueueNotRegisteredError(owner, ref.name, ref.configKey, found.map((c) => c.configKey));
    }
    return { connection: found[0], queue: found[0].findQueue(ref.name)! };
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
