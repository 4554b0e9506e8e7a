import { DUPLICATE_PROCESSOR } from '../queue.messages.js';

/** Two `@Processor` providers serve the same queue on the same connection. */
export class DuplicateProcessorError extends Error {
  constructor(
    readonly queueName: string,
    readonly configKey: string,
    readonly owners: readonly string[],
  ) {
    super(DUPLICATE_PROCESSOR(queueName, configKey, owners));
    this.name = 'DuplicateProcessorError';
  }
}
