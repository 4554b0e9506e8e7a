import type { FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { QueueOptions } from '../../engine/index.js';
import type { BullQueueProcessor } from './bull-processor.interfaces.js';

/**
 * A queue registration. Options left out come from the `forRoot` of its `configKey`; a `connection`
 * of its own gives the queue (and its workers and listeners) a connection of their own.
 */
export interface RegisterQueueOptions extends QueueOptions {
  /** The queue's name, also what `@InjectQueue(name)` and `@Processor(name)` use. @default 'default' */
  name?: string;
  /** The `forRoot` connection this queue uses. @default 'default' */
  configKey?: string;
  /** Processor functions or files, each run by a worker of its own. */
  processors?: BullQueueProcessor[];
  /** @deprecated accepted and ignored, as by @nestjs/bullmq (queues on a configKey share its connection anyway). */
  sharedConnection?: boolean;
  /** `true`: at shutdown, drop the queue's connection instead of closing it gracefully. @default false */
  forceDisconnectOnShutdown?: boolean;
}

/** A queue's options without the names that place it, as an async factory returns them. */
export type QueueRegistrationOptions = Omit<RegisterQueueOptions, 'name' | 'configKey'>;

/** A class that `registerQueueAsync({ useClass | useExisting })` asks for a queue's options. */
export interface RegisterQueueOptionsFactory {
  createRegisterQueueOptions(): Promise<RegisterQueueOptions> | RegisterQueueOptions;
}

/**
 * `registerQueueAsync`: one of useFactory, useClass or useExisting. The name and configKey are
 * given here; a factory's own `name` and `configKey` are ignored.
 */
export interface RegisterQueueAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** @default 'default' */
  name?: string;
  configKey?: string;
  useExisting?: Type<RegisterQueueOptionsFactory>;
  useClass?: Type<RegisterQueueOptionsFactory>;
  useFactory?: (...args: any[]) => Promise<RegisterQueueOptions> | RegisterQueueOptions;
  inject?: FactoryProvider['inject'];
  /** Providers added to the module, for the factory to inject. */
  extraProviders?: Provider[];
}
