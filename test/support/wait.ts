// Waiting in tests: for a condition, for a promise, for a moment another part signals. Every wait
// has a timeout that names what was awaited, so a missing outcome fails the test with a sentence
// instead of hanging it until Jest's own timeout. Events are awaited with ./events.ts.

/**
 * Polls `probe` until its value passes `accept`, for state that no event announces (a key in
 * Redis, a connection in CLIENT LIST). Resolves with that value; fails naming `what` and the last
 * value seen after `timeoutMs`. A probe that throws fails at once.
 */
export async function until<T>(what: string, probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** Rejects with a message naming `what` if `promise` does not settle within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * A promise with its resolve and reject, for a processor or a listener to tell the test that
 * something happened (or to wait for the test's go-ahead). With `timeoutMs`, `promise` rejects
 * after that long naming `what`; without, it waits as long as it takes.
 */
export function deferred<T = void>(timeoutMs?: number, what = 'a deferred'): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) timer = setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    resolve = (value: T) => {
      clearTimeout(timer);
      res(value);
    };
    reject = (err: unknown) => {
      clearTimeout(timer);
      rej(err);
    };
  });
  return { promise, resolve, reject };
}

/**
 * Resolves once the wall clock has passed `at` (ms since the epoch). Only for waits whose point is
 * that time passes somewhere nobody can be asked, e.g. on a server frozen with SIGSTOP, whose keys
 * expire by that same clock; anything that can be observed is awaited with `until` or an event.
 */
export async function clockPast(at: number): Promise<void> {
  while (Date.now() <= at) await new Promise((resolve) => setTimeout(resolve, at + 1 - Date.now()));
}

/** Resolves with the signal's reason once it aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}
