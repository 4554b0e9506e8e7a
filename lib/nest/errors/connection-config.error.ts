import { CONNECTION_NOT_OPEN, DUPLICATE_CONNECTION } from '../queue.messages.js';

/** A `configKey` that no `forRoot` opened, or that two of them claim. */
export class ConnectionConfigError extends Error {
  constructor(
    readonly configKey: string,
    readonly reason: 'missing' | 'duplicate',
  ) {
    super(reason === 'missing' ? CONNECTION_NOT_OPEN(configKey) : DUPLICATE_CONNECTION(configKey));
    this.name = 'ConnectionConfigError';
  }
}
