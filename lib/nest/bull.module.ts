import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { FlowProducer, Queue, Worker } from '../engine/index.js';
import { engineClasses } from './engine-classes.js';
import type { BullRootModuleOptions, SharedBullAsyncConfiguration } from './interfaces/queue-module-options.interface.js';
import type {
  RegisterFlowProducerAsyncOptions,
  RegisterFlowProducerOptions,
} from './interfaces/register-flow-producer-options.interface.js';
import type { RegisterQueueAsyncOptions, RegisterQueueOptions } from './interfaces/register-queue-options.interface.js';
import { asyncRoot, syncRoot } from './queue-root.js';
import { DEFAULT_CONFIG_KEY } from './queue.constants.js';
import { checkConfigKey, registerFlowProducers, registerFlowProducersAsync, registerQueues, registerQueuesAsync } from './queue.module.js';

/**
 * @nestjs/bullmq's module, on Conveyor: the same providers as QueueModule, with @nestjs/bullmq's
 * signatures and, where the two differ, its behaviour: a registration's options replace the
 * forRoot's as a whole, several processors may serve one queue, and a processor may serve a queue
 * no module registered. Conveyor's options (shutdownTimeoutMs, workers) work here too.
 */
@Module({})
export class BullModule {
  /** The class queues are made from: a subclass of Conveyor's Queue. @default Queue */
  static set queueClass(cls: Type) {
    engineClasses.queue = cls as Type<Queue>;
  }

  /** The class flow producers are made from: a subclass of Conveyor's FlowProducer. @default FlowProducer */
  static set flowProducerClass(cls: Type) {
    engineClasses.flowProducer = cls as Type<FlowProducer>;
  }

  /** The class workers are made from: a subclass of Conveyor's Worker. @default Worker */
  static set workerClass(cls: Type) {
    engineClasses.worker = cls as Type<Worker>;
  }

  /** Registers the connection and queue options every queue of the app starts from. */
  static forRoot(bullConfig: BullRootModuleOptions): DynamicModule;
  /** Registers them under a configKey, which queues and processors name to use them. */
  static forRoot(configKey: string, bullConfig: BullRootModuleOptions): DynamicModule;
  static forRoot(keyOrConfig: string | BullRootModuleOptions, bullConfig?: BullRootModuleOptions): DynamicModule {
    const [configKey, config] = typeof keyOrConfig === 'string' ? [keyOrConfig, bullConfig] : [DEFAULT_CONFIG_KEY, keyOrConfig];
    return syncRoot(BullModule, checkConfigKey(configKey, 'BullModule.forRoot'), 'bullmq', config);
  }

  static forRootAsync(asyncBullConfig: SharedBullAsyncConfiguration): DynamicModule;
  static forRootAsync(configKey: string, asyncBullConfig: SharedBullAsyncConfiguration): DynamicModule;
  static forRootAsync(keyOrConfig: string | SharedBullAsyncConfiguration, asyncBullConfig?: SharedBullAsyncConfiguration): DynamicModule {
    const [configKey, config] = typeof keyOrConfig === 'string' ? [keyOrConfig, asyncBullConfig] : [DEFAULT_CONFIG_KEY, keyOrConfig];
    return asyncRoot(BullModule, checkConfigKey(configKey, 'BullModule.forRootAsync'), 'bullmq', config as SharedBullAsyncConfiguration);
  }

  static registerQueue(...options: RegisterQueueOptions[]): DynamicModule {
    return registerQueues(BullModule, 'bullmq', options);
  }

  static registerQueueAsync(...options: RegisterQueueAsyncOptions[]): DynamicModule {
    return registerQueuesAsync(BullModule, 'bullmq', options);
  }

  static registerFlowProducer(...options: RegisterFlowProducerOptions[]): DynamicModule {
    return registerFlowProducers(BullModule, 'bullmq', options);
  }

  static registerFlowProducerAsync(...options: RegisterFlowProducerAsyncOptions[]): DynamicModule {
    return registerFlowProducersAsync(BullModule, 'bullmq', options);
  }
}
