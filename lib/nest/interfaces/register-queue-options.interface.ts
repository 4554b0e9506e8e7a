import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { QueueOptions } from '../../engine/options.js';

/** Queue options as a registration takes them; the connection comes from `forRoot` (`configKey`). */
export type QueueRegistrationOptions = Omit<QueueOptions, 'connection'>;

export interface RegisterQueueOptions extends QueueRegistrationOptions {
  name: string;
  /** The `forRoot` connection this queue uses. @default 'default' */
  configKey?: string;
}

/** A class that `registerQueueAsync({ useClass | useExisting })` asks for a queue's options. */
export interface RegisterQueueOptionsFactory {
  createRegisterQueueOptions(): QueueRegistrationOptions | Promise<QueueRegistrationOptions>;
}

export type RegisterQueueAsyncOptions = ConfigurableModuleAsyncOptions<QueueRegistrationOptions, 'createRegisterQueueOptions'> & {
  name: string;
  configKey?: string;
};
