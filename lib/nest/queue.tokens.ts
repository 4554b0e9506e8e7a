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
