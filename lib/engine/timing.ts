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
