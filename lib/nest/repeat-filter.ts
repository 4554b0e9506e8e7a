/**
 * Passes a message on only when it differs from the previous one of the same source: a connection
 * that keeps failing reports the same error on every retry, and one log line says it all.
 */
export class RepeatFilter {
  private readonly last = new Map<string, string>();

  isNew(source: string, message: string): boolean {
    if (this.last.get(source) === message) return false;
    this.last.set(source, message);
    return true;
  }

  /** The source recovered: its next error is news again. */
  reset(source: string): void {
    this.last.delete(source);
  }
}
