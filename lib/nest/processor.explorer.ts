import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef, ModulesContainer, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import type { Processor as EngineProcessor, Worker } from '../engine/index.js';
import type { QueueEventsListenerMetadata } from './decorators/queue-events.decorator.js';
import { engineClasses } from './engine-classes.js';
import { DuplicateProcessorError } from './errors/duplicate-processor.error.js';
import { ProcessorNotProviderError } from './errors/processor-not-provider.error.js';
import { QueueNotRegisteredError } from './errors/queue-not-registered.error.js';
import { InstanceResolver } from './instance.resolver.js';
import type { ProcessorMetadata, QueueReference } from './interfaces/processor-options.interface.js';
import { bindEventHandlers } from './listener.invoker.js';
import type { ModuleConnection, QueueTarget } from './module-connection.js';
import { ProcessorDecoratorService } from './processor-decorator.service.js';
import { createRouter, readProcessorHandlers, readQueueEventBindings, type ProcessorHandlers } from './processor.handlers.js';
import { attachQueueEvents } from './queue-events-host.js';
import { QueueCatalog } from './queue.catalog.js';
import { PROCESSOR_METADATA, QUEUE_EVENTS_LISTENER_METADATA } from './queue.constants.js';
import { LISTENERS_NOT_READY } from './queue.messages.js';
import { logWorkerErrors } from './worker-errors.js';
import { attachWorker } from './worker-host.js';
import { WorkerRegistry } from './worker.registry.js';

interface Found<M> {
  wrapper: InstanceWrapper;
  metatype: Function;
  metadata: M;
}

interface ProcessorPlan extends Found<ProcessorMetadata> {
  owner: string;
  connection: ModuleConnection;
  target: QueueTarget;
  handlers: ProcessorHandlers;
}

interface ListenerPlan extends Found<QueueEventsListenerMetadata> {
  owner: string;
  connection: ModuleConnection;
  bindings: ReturnType<typeof readQueueEventBindings>;
}

/**
 * Finds `@Processor` and `@QueueEventsListener` providers at onModuleInit, checks the wiring (a
 * mistake fails the boot with a named error, before any worker exists), makes one worker per
 * processor and binds listeners to their queue's QueueEvents. What a connection with
 * `manualRegistration` serves waits for `BullRegistrar.register()`.
 */
@Injectable()
export class ProcessorExplorer implements OnModuleInit {
  private readonly logger = new Logger('QueueModule');
  /** Set-ups held back by manual registration, run by registerHeldBack(). */
  private readonly heldBack: (() => void)[] = [];
  private explored = false;
  /** register() was called before onModuleInit found anything: release all once found. */
  private releaseWhenExplored = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly modules: ModulesContainer,
    private readonly catalog: QueueCatalog,
    private readonly registry: WorkerRegistry,
    private readonly processorDecorator: ProcessorDecoratorService,
  ) {}

  onModuleInit(): void {
    this.rejectNonProviders();
    // check everything first, so a wiring mistake leaves nothing half made
    const plans = this.find<ProcessorMetadata>(PROCESSOR_METADATA).map((p) => this.planProcessor(p));
    this.rejectDuplicateProcessors(plans);
    const listenerPlans = this.find<QueueEventsListenerMetadata>(QUEUE_EVENTS_LISTENER_METADATA).map((l) => this.planListener(l));

    for (const plan of plans) this.setUp(plan.connection, () => plan.connection.options.workers && this.createWorker(plan));
    for (const plan of listenerPlans) this.setUp(plan.connection, () => this.bindListener(plan));
    this.explored = true;
    if (this.releaseWhenExplored) this.registerHeldBack();
  }

  /** BullRegistrar.register(): sets up what manual registration held back (once each). */
  registerHeldBack(): void {
    if (!this.explored) {
      this.releaseWhenExplored = true;
      return;
    }
    for (const setUp of this.heldBack.splice(0)) setUp();
  }

  private setUp(connection: ModuleConnection, setUp: () => void): void {
    if (connection.manualRegistration) this.heldBack.push(setUp);
    else setUp();
  }

  private planListener(found: Found<QueueEventsListenerMetadata>): ListenerPlan {
    const owner = found.metatype.name;
    return {
      ...found,
      owner,
      connection: this.listenerConnection(owner, found.metadata),
      bindings: readQueueEventBindings(found.metatype, this.scanner),
    };
  }

  /** Binds a listener class to its QueueEvents, which starts reading now (unless told `autorun: false`). */
  private bindListener({ wrapper, metadata, connection, bindings, owner }: ListenerPlan): void {
    const { events, autorun } = connection.queueEvents(metadata.name, metadata.options);
    const resolver = new InstanceResolver(wrapper, this.moduleRef, (instance) => attachQueueEvents(instance, events));
    if (resolver.isStatic) attachQueueEvents(resolver.instance, events);
    bindEventHandlers(events, bindings, owner, resolver, this.logger);
    if (autorun && !events.isRunning()) {
      events.run().catch((err: Error) => this.logger.warn(LISTENERS_NOT_READY(events.name, err.message)));
    }
  }

  private planProcessor(found: Found<ProcessorMetadata>): ProcessorPlan {
    const owner = found.metatype.name;
    const handlers = readProcessorHandlers(found.metatype, this.scanner);
    const { connection, target } = this.catalog.resolveProcessorQueue(owner, found.metadata);
    return { ...found, owner, connection, target, handlers };
  }

  private createWorker(plan: ProcessorPlan): void {
    const { wrapper, metadata, connection, target, handlers, owner } = plan;
    let current: Worker | undefined;
    // scoped instances get the worker as they are resolved, singletons once it exists
    const resolver = new InstanceResolver(wrapper, this.moduleRef, (instance) => current && attachWorker(instance, current));
    const router = this.processorDecorator.decorate(createRouter(handlers, resolver) as EngineProcessor<unknown, unknown>);
    this.registry.add({
      queueName: target.name,
      configKey: connection.configKey,
      processor: owner,
      autorun: metadata.workerOptions.autorun !== false,
      shutdownTimeoutMs: connection.options.shutdownTimeoutMs,
      create: () => {
        const worker = new engineClasses.worker(target.name, router, connection.workerOptions(target, metadata.workerOptions));
        current = worker;
        if (!handlers.events.some((b) => b.event === 'error')) logWorkerErrors(worker, `${connection.configKey}:${owner}`, this.logger);
        bindEventHandlers(worker, handlers.events, owner, resolver, this.logger);
        if (resolver.isStatic) attachWorker(resolver.instance, worker);
        return worker;
      },
    });
  }

  /** One processor per queue, except where @nestjs/bullmq's module allows several (each its own worker). */
  private rejectDuplicateProcessors(plans: ProcessorPlan[]): void {
    const byQueue = new Map<string, string[]>();
    for (const { owner, target, connection } of plans) {
      if (connection.style === 'bullmq') continue;
      const key = `${connection.configKey}\u0000${target.name}`;
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
      // no module configuration at all: BullMQ's default connection, as a bare QueueEvents would use
      if (all.length === 0) return this.catalog.connectionFor(undefined, `QueueEventsListener(${owner})`, 'bullmq');
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
