/**
 * How the worker's parts tell the world: events whose listeners cannot break the worker's
 * bookkeeping, and errors. One object, shared by all parts, so that the rules below (which
 * errors are worth an 'error' event, and when) are made in one place.
 */
export interface ReportingWorker {
  emit(event: string, ...args: unknown[]): boolean;
  listenerCount(event: string): number;
}

export class WorkerReporter {
  constructor(
    private readonly worker: ReportingWorker,
    /**
     * QueueBase's emitError: only to existing listeners, a transient error once a second. A
     * listener that throws, throws here: the callers that must go on use report().
     */
    readonly emitError: (err: unknown) => void,
  ) {}

  /** emit(), except that a listener that throws cannot break the worker's bookkeeping. */
  notify(event: string, ...args: unknown[]): void {
    try {
      this.worker.emit(event, ...args);
    } catch (err) {
      try {
        this.emitError(err);
      } catch {
        // an 'error' listener that throws too: nothing sensible is left to tell
      }
    }
  }

  /** Someone listens for `event` (an event that costs something to build is only built then). */
  listens(event: string): boolean {
    return this.worker.listenerCount(event) > 0;
  }

  /** emitError for one of several outcomes: a listener that throws cannot stop the others. */
  report(err: unknown): void {
    try {
      this.emitError(err);
    } catch {
      // the listener's own problem; the remaining outcomes still need handling
    }
  }

  /**
   * An error of a call that will be made again (fetch, finish, renewal, stalled check). A command
   * refused because its connection is closed (ioredis's 'Connection is closed.': its owner closed
   * it, or it is between reconnects) is retried quietly, as BullMQ does; the outage itself is
   * reported by the connection, and a retry that gives up says so (reportGivingUp).
   */
  reportRetried(err: unknown): void {
    if (!isClosedConnection(err)) this.report(err);
  }

  /**
   * The retries of a move gave up: the last error goes out, whatever it was (reportRetried let
   * out all but a closed connection's already).
   */
  reportGivingUp(err: unknown): void {
    if (isClosedConnection(err)) this.report(err);
  }
}

/** ioredis's rejection of a command on a closed connection. */
export function isClosedConnection(err: unknown): boolean {
  return err instanceof Error && err.message === 'Connection is closed.';
}
