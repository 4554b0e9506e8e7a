import { DEFAULT_CONFIG_KEY } from './queue.constants.js';

// The token values are @nestjs/bullmq's (and @nestjs/bull-shared's), so code and tools that look
// providers up by them, such as `getQueueToken` imported from @nestjs/bull-shared in tests or by
// dashboard modules, find Conveyor's queues too. A name left out means "default", as there.

/** The token of the default shared configuration (what `getSharedConfigToken()` returns). */
export const BULL_CONFIG_DEFAULT_TOKEN = 'BULLMQ_CONFIG(default)';

/** The injection token of a registered queue (what `@InjectQueue(name)` injects). */
export function getQueueToken(name?: string): string {
  return name ? `BullQueue_${name}` : 'BullQueue_default';
}

/** The token of the options a registered queue was made with (the connection's merged under its own). */
export function getQueueOptionsToken(name?: string): string {
  return name ? `BullMQQueueOptions_${name}` : 'BullMQQueueOptions_default';
}

/** The injection token of a registered flow producer (what `@InjectFlowProducer(name)` injects). */
export function getFlowProducerToken(name?: string): string {
  return name ? `BullFlowProducer_${name}` : 'BullFlowProducer_default';
}

/** The token of the options a registered flow producer was made with. */
export function getFlowProducerOptionsToken(name?: string): string {
  return name ? `BullMQFlowProducerOptions_${name}` : 'BullMQFlowProducerOptions_default';
}

/** The token of the options `forRoot` / `forRootAsync` got for a configKey, as they were given. */
export function getSharedConfigToken(configKey?: string): string {
  return configKey ? `BULLMQ_CONFIG(${configKey})` : BULL_CONFIG_DEFAULT_TOKEN;
}

/** The token of the connection `forRoot` opens for a `configKey` (Conveyor's own). */
export function getConnectionToken(configKey: string = DEFAULT_CONFIG_KEY): string {
  return `ConveyorConnection:${configKey}`;
}

/** Module-private: a queue's registration as given (or as its async factory returned it). */
export function getQueueRegistrationToken(name: string): string {
  return `ConveyorQueueRegistration:${name}`;
}

/** Module-private: a flow producer's registration as given. */
export function getFlowProducerRegistrationToken(name: string): string {
  return `ConveyorFlowProducerRegistration:${name}`;
}
