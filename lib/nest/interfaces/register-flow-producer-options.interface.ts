import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { FlowProducerOptions } from '../../engine/flow-producer.js';

/** FlowProducer options as a registration takes them; the connection comes from `forRoot`. */
export type FlowProducerRegistrationOptions = Omit<FlowProducerOptions, 'connection'>;

export interface RegisterFlowProducerOptions extends FlowProducerRegistrationOptions {
  /** The name `@InjectFlowProducer(name)` uses. */
  name: string;
  /** The `forRoot` connection this flow producer uses. @default 'default' */
  configKey?: string;
}

/** A class that `registerFlowProducerAsync({ useClass | useExisting })` asks for the options. */
export interface RegisterFlowProducerOptionsFactory {
  createRegisterFlowProducerOptions(): FlowProducerRegistrationOptions | Promise<FlowProducerRegistrationOptions>;
}

export type RegisterFlowProducerAsyncOptions = ConfigurableModuleAsyncOptions<
  FlowProducerRegistrationOptions,
  'createRegisterFlowProducerOptions'
> & {
  name: string;
  configKey?: string;
};
