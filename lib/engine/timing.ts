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

/** A timer as a promise that never keeps the process alive on its own. */
export class Deadline {
  readonly promise: Promise<void>;

  constructor(ms: number) {
    this.promise = new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      timer.unref?.();
    });
  }
}

/** Waits that `wakeAll()` ends at once, so close() never waits for a backoff or a rate limit. */
export class Sleeper {
  private readonly pending = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref?.();
      this.pending.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.pending]) done();
  }
}

/** Backoff after the n-th consecutive failure talking to Redis: fast first, then capped. */
export function retryDelayMs(failures: number, firstMs = 50, maxMs = 2_000): number {
  return Math.min(firstMs * 2 ** Math.max(0, failures - 1), maxMs);
}
