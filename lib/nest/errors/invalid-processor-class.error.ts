import { INVALID_PROCESSOR_CLASS } from '../queue.messages.js';

/** A `@Processor` class with nothing to run jobs: no `process` method and no `@Process` handler. */
export class InvalidProcessorClassError extends Error {
  constructor(readonly owner: string) {
    super(INVALID_PROCESSOR_CLASS(owner));
    this.name = 'InvalidProcessorClassError';
  }
}
