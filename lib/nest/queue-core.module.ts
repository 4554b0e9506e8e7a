import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullRegistrar } from './bull.registrar.js';
import { ProcessorDecoratorService } from './processor-decorator.service.js';
import { ProcessorExplorer } from './processor.explorer.js';
import { QueueCatalog } from './queue.catalog.js';
import { QueueLifecycle } from './queue.lifecycle.js';
import { WorkerRegistry } from './worker.registry.js';

/**
 * The app-wide part of the module, once however many connections `forRoot` opens: the catalog of
 * connections, discovery, the worker registry, manual registration and the lifecycle.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [QueueCatalog, WorkerRegistry, ProcessorExplorer, QueueLifecycle, BullRegistrar, ProcessorDecoratorService],
  exports: [QueueCatalog, WorkerRegistry, BullRegistrar],
})
export class QueueCoreModule {}
