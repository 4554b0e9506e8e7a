import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { QueueCatalog } from './queue.catalog.js';
import { LISTENERS_NOT_READY } from './queue.messages.js';
import { WorkerRegistry } from './worker.registry.js';

/**
 * When things start and stop. Workers start at onApplicationBootstrap, once every module has
 * initialised. Shutdown drains workers first (onModuleDestroy) while queues and connections stay
 * open, so a finishing job can still add jobs; listeners, queues and connections close last
 * (onApplicationShutdown), after every other module's destroy hooks.
 */
@Injectable()
export class QueueLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('QueueModule');

  constructor(
    private readonly catalog: QueueCatalog,
    private readonly registry: WorkerRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // listeners fix their read position before the first job can start, so they miss none of it
    const listeners = this.catalog.all.flatMap((c) => c.allQueueEvents);
    await Promise.all(
      listeners.map((events) =>
        events.waitUntilReady().catch((err: Error) => this.logger.warn(LISTENERS_NOT_READY(events.name, err.message))),
      ),
    );
    this.registry.startAutorun();
  }

  async onModuleDestroy(): Promise<void> {
    await this.registry.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.catalog.closeAll();
  }
}
