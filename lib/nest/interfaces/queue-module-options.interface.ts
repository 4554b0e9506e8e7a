import type { FactoryProvider, ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { QueueOptions } from '../../engine/index.js';

/** Options of `forRoot` that shape how the module registers processors and listeners. */
export interface BullModuleExtraOptions {
  /**
   * `true`: processors and events listeners on this connection are not set up at boot, only when
   * `BullRegistrar.register()` is called (queues and flow producers are made as usual).
   */
  manualRegistration?: boolean;
}

/**
 * What `QueueModule.forRoot` / `BullModule.forRoot` take (or a `forRootAsync` factory returns): the
 * connection every queue, worker and listener of this configKey shares, queue options every queue
 * registered on it starts from, and Conveyor's module options.
 */
export interface QueueModuleOptions extends QueueOptions {
  /** How long shutdown waits for active jobs before handing them back to wait, ms. @default 30000 */
  shutdownTimeoutMs?: number;
  /** `false`: no workers on this connection (a producer-only process). @default true */
  workers?: boolean;
  /** Read from `forRoot`'s options or beside `forRootAsync`'s factory (a factory's own is ignored). */
  extraOptions?: BullModuleExtraOptions;
}

/** Options of `forRoot` / `forRootAsync` that shape the module itself rather than the connection. */
export interface QueueModuleExtras {
  /** Names this connection; queues and processors pick it with the same `configKey`. @default 'default' */
  configKey?: string;
}

/** A class that `forRootAsync({ useClass | useExisting })` asks for the options. */
export interface QueueModuleOptionsFactory {
  createQueueModuleOptions(): QueueModuleOptions | Promise<QueueModuleOptions>;
}

/**
 * What `QueueModule.forRootAsync` takes: one of useFactory, useClass or useExisting (a class with
 * either method name: QueueModule's or @nestjs/bullmq's).
 */
export interface QueueModuleAsyncOptions extends QueueModuleExtras, Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => QueueModuleOptions | Promise<QueueModuleOptions>;
  inject?: FactoryProvider['inject'];
  useClass?: Type<QueueModuleOptionsFactory | SharedBullConfigurationFactory>;
  useExisting?: Type<QueueModuleOptionsFactory | SharedBullConfigurationFactory>;
  extraOptions?: BullModuleExtraOptions;
  /** Providers added to the module, for the factory to inject. */
  extraProviders?: Provider[];
}

// @nestjs/bullmq's names for the same options.

/** `BullModule.forRoot`'s options: the same as `QueueModule.forRoot`'s. */
export interface BullRootModuleOptions extends QueueModuleOptions {}

/** A class that `BullModule.forRootAsync({ useClass | useExisting })` asks for the options. */
export interface SharedBullConfigurationFactory {
  createSharedConfiguration(): Promise<BullRootModuleOptions> | BullRootModuleOptions;
}

/** What `BullModule.forRootAsync` takes: one of useFactory, useClass or useExisting. */
export interface SharedBullAsyncConfiguration extends Pick<ModuleMetadata, 'imports'> {
  useExisting?: Type<SharedBullConfigurationFactory | QueueModuleOptionsFactory>;
  useClass?: Type<SharedBullConfigurationFactory | QueueModuleOptionsFactory>;
  useFactory?: (...args: any[]) => Promise<BullRootModuleOptions> | BullRootModuleOptions;
  inject?: FactoryProvider['inject'];
  extraOptions?: BullModuleExtraOptions;
  /** Providers added to the module, for the factory to inject. */
  extraProviders?: Provider[];
}
