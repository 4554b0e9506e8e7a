import type { FactoryProvider, ModuleMetadata, Type } from '@nestjs/common';
import type { FlowProducerOptions } from '../../engine/index.js';

/** A flow producer registration; options left out come from the `forRoot` of its `configKey`. */
export interface RegisterFlowProducerOptions extends FlowProducerOptions {
  /** The name `@InjectFlowProducer(name)` uses. @default 'default' */
  name?: string;
  /** The `forRoot` connection this flow producer uses. @default 'default' */
  configKey?: string;
  /** `true`: at shutdown, drop the producer's connection instead of closing it gracefully. @default true */
  forceDisconnectOnShutdown?: boolean;
}

/** A flow producer's options without the names that place it. */
export type FlowProducerRegistrationOptions = Omit<RegisterFlowProducerOptions, 'name' | 'configKey'>;

/**
 * A class that `registerFlowProducerAsync({ useClass | useExisting })` asks for the options. The
 * method has the queue factory's name, as in @nestjs/bullmq.
 */
export interface RegisterFlowProducerOptionsFactory {
  createRegisterQueueOptions(): Promise<RegisterFlowProducerOptions> | RegisterFlowProducerOptions;
}

/** `registerFlowProducerAsync`: one of useFactory, useClass or useExisting. */
export interface RegisterFlowProducerAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** @default 'default' */
  name?: string;
  configKey?: string;
  useExisting?: Type<RegisterFlowProducerOptionsFactory>;
  useClass?: Type<RegisterFlowProducerOptionsFactory>;
  useFactory?: (...args: any[]) => Promise<RegisterFlowProducerOptions> | RegisterFlowProducerOptions;
  inject?: FactoryProvider['inject'];
}
