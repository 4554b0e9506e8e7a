// @ts-check
// Waiting with a watchdog: a case that stops making progress fails with a message instead of
// hanging the run.

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves after `tick()` was called `count` times; rejects when `idleMs` pass without a tick.
 * `why()` adds context (e.g. the last error an engine emitted) to the failure.
 */
export class Countdown {
  /**
   * @param {number} count
   * @param {string} what  e.g. "completed jobs"
   * @param {number} idleMs
   * @param {() => string | undefined} why
   */
  constructor(count, what, idleMs, why = () => undefined) {
    this.count = count;
    this.what = what;
    this.seen = 0;
    /** @type {() => void} */
    let resolve = () => {};
    /** @type {(err: Error) => void} */
    let reject = () => {};
    /** @type {Promise<void>} */
    this.promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.resolve = resolve;
    this.reject = reject;
    // failures may come before anyone awaits the promise; they are seen when it is awaited
    this.promise.catch(() => {});
    let lastSeen = -1;
    this.timer = setInterval(() => {
      if (this.seen === lastSeen) {
        clearInterval(this.timer);
        const reason = why();
        reject(
          new Error(`no progress for ${idleMs} ms: ${this.seen} of ${count} ${what}${reason ? `; last engine error: ${reason}` : ''}`),
        );
      }
      lastSeen = this.seen;
    }, idleMs);
    if (count <= 0) this.finish();
  }

  tick() {
    this.seen += 1;
    if (this.seen === this.count) this.finish();
  }

  finish() {
    clearInterval(this.timer);
    this.resolve();
  }

  /**
   * Fails the wait at once (a job failed, a worker's run() rejected).
   * @param {string} message
   */
  fail(message) {
    clearInterval(this.timer);
    this.reject(new Error(`${message} (after ${this.seen} of ${this.count} ${this.what})`));
  }

  /** Stops the watchdog without settling (the case failed elsewhere). */
  cancel() {
    clearInterval(this.timer);
  }
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout])).finally(() => clearTimeout(timer));
}
