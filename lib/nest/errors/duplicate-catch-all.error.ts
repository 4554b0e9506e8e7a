import { DUPLICATE_CATCH_ALL } from '../queue.messages.js';

/** A processor with two catch-all handlers (`@Process()` twice, or `@Process()` and `WorkerHost.process`). */
export class DuplicateCatchAllError extends Error {
  constructor(
    readonly owner: string,
    readonly methods: readonly string[],
  ) {
    super(DUPLICATE_CATCH_ALL(owner, methods));
    this.name = 'DuplicateCatchAllError';
  }
}
