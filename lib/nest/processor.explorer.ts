import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, ModulesContainer, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { Worker } from '../engine/worker.js';
import type { QueueEventsListenerMetadata } from './decorators/queue-events.decorator.js';
import { DuplicateProcessorError } from './errors/duplicate-processor.error.js';
import { ProcessorNotProviderError } from './errors/processor-not-provider.error.js';
import { QueueNotRegisteredError } from './errors/queue-not-registered.error.js';
import type { ProcessorMetadata, QueueReference } from './interfaces/processor-options.interface.js';
import { InstanceResolver } from './instance.resolver.js';
import { bindEventHandlers } from './listener.invoker.js';
import type { ModuleConnection } from './module-connection.js';
import { createRouter, readProcessorHandlers, readQueueEventBindings } from './processor.handlers.js';
import { QueueCatalog } from './queue.catalog.js';
import { PROCESSOR_METADATA, QUEUE_EVENTS_LISTENER_METADATA } from './queue.constants.js';
import { LISTENERS_NOT_READY, WORKER_ERROR } from './queue.messages.js';
import { attachWorker } from './worker-host.js';
import { WorkerRegistry } from './worker.registry.js';
import { RepeatFilter } from './repeat-filter.js';

interface Found<M> {
  wrapper: InstanceWrapper;
  metatype: Function;
  metadata: M;
}

/**
 * Finds `@Processor` and `@QueueEventsListener` providers at onModuleInit, checks the wiring (a
 * mistake fails the boot with a named error, before any worker exists), makes one worker per
 * processor and one QueueEvents per listened queue, and binds the decorated methods.
 */
@Injectable()
export class ProcessorExplorer implements OnModuleInit {
  private readonly logger = new Logger('QueueModule');
  private readonly workerErrors = new RepeatFilter();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly catalog: QueueCatalog,
    private readonly registry: WorkerRegistry,
  ) {}

  onModuleInit(): void {
    this.rejectNonProviders();
    const processors = this.find<ProcessorMetadata>(PROCESSOR_METADATA);
    const listeners = this.find<QueueEventsListenerMetadata>(QUEUE_EVENTS_LISTENER_METADATA);
    // check everything first, so a wiring mistake leaves nothing half made
    const plans = processors.map((p) => this.planProcessor(p));
    this.rejectDuplicateProcessors(plans);
    const listenerPlans = listeners.map((l) => this.planListener(l));

    for (const plan of plans) if (plan.connection.options.workers) this.createWorker(plan);
    for (const plan of listenerPlans) this.bindListener(plan);
  }

  private planListener(found: Found<QueueEventsListenerMetadata>) {
    const owner = found.metatype.name;
    return { ...found, owner, connection: this.listenerConnection(owner, found.metadata), bindings: readQueueEventBindings(found.metatype, this.scanner) };
  }

  /** Binds a listener class to its queue's shared QueueEvents, which starts reading now. */
  private bindListener({ wrapper, metadata, connection, bindings, owner }: ReturnType<ProcessorExplorer['planListener']>): void {
    const events = connection.queueEvents(metadata.name, metadata.options);
    bindEventHandlers(events, bindings, owner, new InstanceResolver(wrapper, this.moduleRef), this.logger);
    if (!events.isRunning()) {
      events.run().catch((err: Error) => this.logger.warn(LISTENERS_NOT_READY(events.name, err.message)));
    }
  }

  private planProcessor(found: Found<ProcessorMetadata>) {
    const owner = found.metatype.name;
    const { connection, queue } = this.catalog.resolveQueue(owner, found.metadata);
    const handlers = readProcessorHandlers(found.metatype, this.scanner);
    return { ...found, owner, connection, queue, handlers };
  }

  private createWorker(plan: ReturnType<ProcessorExplorer['planProcessor']>): void {
    const { wrapper, metadata, connection, queue, handlers, owner } = plan;
    const registry = this.registry;
    let current: Worker | undefined;
    // scoped instances get the worker as they are resolved, singletons once it exists
    const resolver = new InstanceResolver(wrapper, this.moduleRef, (instance) => current && attachWorker(instance, current));
    const router = createRouter(handlers, resolver);
    registry.add({
      queueName: queue.name,
      configKey: connection.configKey,
      processor: owner,
      autorun: metadata.workerOptions.autorun !== false,
      shutdownTimeoutMs: connection.options.shutdownTimeoutMs,
      create: () => {
        const worker = new Worker(queue.name, router, connection.workerOptions(queue, metadata.workerOptions));
        current = worker;
        const source = `${connection.configKey}:${queue.name}`;
        // a worker that fetches again has recovered: its next error is news
        for (const event of ['ready', 'active', 'drained']) worker.on(event, () => this.workerErrors.reset(source));
        if (!handlers.events.some((b) => b.event === 'error')) {
          worker.on('error', (err: Error) => {
            if (this.workerErrors.isNew(source, err.message)) this.logger.error(WORKER_ERROR(queue.name), err.stack ?? err.message);
          });
        }
        bindEventHandlers(worker, handlers.events, owner, resolver, this.logger);
        if (resolver.isStatic) attachWorker(resolver.instance, worker);
        return worker;
      },
    });
  }

  private rejectDuplicateProcessors(plans: { owner: string; queue: { name: string }; connection: ModuleConnection }[]): void {
    const byQueue = new Map<string, string[]>();
    for (const { owner, queue, connection } of plans) {
      const key = `${connection.configKey}\u0000${queue.name}`;
      byQueue.set(key, [...(byQueue.get(key) ?? []), owner]);
    }
    for (const [key, owners] of byQueue) {
      if (owners.length > 1) {
        const [configKey, queueName] = key.split('\u0000');
        throw new DuplicateProcessorError(queueName, configKey, owners);
      }
    }
  }

  /**
   * A listener may listen to a queue this app does not register (another service produces it):
   * then its configKey, or the app's only connection, tells where.
   */
  private listenerConnection(owner: string, ref: QueueReference): ModuleConnection {
    try {
      return this.catalog.resolveQueue(owner, ref).connection;
    } catch (err) {
      if (!(err instanceof QueueNotRegisteredError)) throw err;
      if (ref.configKey !== undefined) return this.catalog.connection(ref.configKey);
      const all = this.catalog.all;
      if (all.length === 1) return all[0];
      throw err;
    }
  }

  /** Providers whose class carries `key`: class providers by their class, others by their instance's. */
  private find<M>(key: string): Found<M>[] {
    const found: Found<M>[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = classOf(wrapper);
      const metadata = metatype && this.reflector.get<M>(key, metatype);
      if (metatype && metadata) found.push({ wrapper, metatype, metadata });
    }
    return found;
  }

  /** A @Processor or @QueueEventsListener class listed as a controller or a module never runs. */
  private rejectNonProviders(): void {
    const misplaced: [Function | null | undefined, string][] = [
      ...this.discovery.getControllers().map((w): [Function | null, string] => [w.metatype, 'a controller']),
      ...[...this.modules.values()].map((m): [Function, string] => [m.metatype, 'a module (in imports)']),
    ];
    for (const [metatype, registeredAs] of misplaced) {
      if (!metatype) continue;
      if (this.reflector.get(PROCESSOR_METADATA, metatype)) throw new ProcessorNotProviderError(metatype.name, registeredAs);
      if (this.reflector.get(QUEUE_EVENTS_LISTENER_METADATA, metatype)) {
        throw new ProcessorNotProviderError(metatype.name, registeredAs, 'listener');
      }
    }
  }
}

function classOf(wrapper: InstanceWrapper): Function | undefined {
  if (wrapper.metatype && !wrapper.inject) return wrapper.metatype;
  const instance = wrapper.instance as object | undefined;
  return instance && typeof instance === 'object' ? instance.constructor : undefined;
}
