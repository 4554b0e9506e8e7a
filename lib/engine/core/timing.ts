/** A wake-up call: every `wait()` pending when `notify()` runs resolves. */
export class Signal {
  private waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (already aborted: at once). The timer never
 * keeps the process alive on its own (unless `keepAlive`), and the abort listener goes when the
 * wait ends.
 */
export function sleep(ms: number, signal?: AbortSignal, keepAlive = false): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    if (!keepAlive) timer.unref?.();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Backoff after the n-th consecutive failure talking to Redis: fast first, then capped. */
export function retryDelayMs(failures: number, firstMs = 50, maxMs = 2_000): number {
  return Math.min(firstMs * 2 ** Math.max(0, failures - 1), maxMs);
}
