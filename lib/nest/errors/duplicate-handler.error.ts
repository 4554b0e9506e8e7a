import { DUPLICATE_HANDLER } from '../queue.messages.js';

/** Two `@Process('name')` handlers of one processor take the same job name. */
export class DuplicateHandlerError extends Error {
  constructor(
    readonly owner: string,
    readonly jobName: string,
    readonly methods: readonly string[],
  ) {
    super(DUPLICATE_HANDLER(owner, jobName, methods));
    this.name = 'DuplicateHandlerError';
  }
}
