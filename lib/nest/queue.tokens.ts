import { DEFAULT_CONFIG_KEY } from './queue.constants.js';

/** The injection token of a registered queue (what `@InjectQueue(name)` injects). */
export function getQueueToken(name: string): string {
  return `ConveyorQueue:${name}`;
}

/** The token of a queue's registration options (module-private). */
export function getQueueOptionsToken(name: string): string {
  return `ConveyorQueueOptions:${name}`;
}

/** The token of the connection `forRoot` opens for a `configKey`. */
export function getConnectionToken(configKey: string = DEFAULT_CONFIG_KEY): string {
  return `ConveyorConnection:${configKey}`;
}

/** The injection token of a registered flow producer (what `@InjectFlowProducer(name)` injects). */
export function getFlowProducerToken(name: string): string {
  return `ConveyorFlowProducer:${name}`;
}

/** The token of a flow producer's registration options (module-private). */
export function getFlowProducerOptionsToken(name: string): string {
  return `ConveyorFlowProducerOptions:${name}`;
}
