import type { EventEmitter } from 'node:events';

/**
 * Resolves with the arguments of the next `event` that passes `filter`; rejects after `timeoutMs`
 * naming the event, so a missing event fails the test instead of hanging it.
 */
export function once<T extends unknown[] = any[]>(
  emitter: EventEmitter,
  event: string,
  timeoutMs = 5000,
  filter: (...args: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      if (!filter(...(args as T))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    emitter.on(event, listener);
  });
}

/** Resolves after `count` events pass `filter` (with all their argument lists). */
export function times<T extends unknown[] = any[]>(
  emitter: EventEmitter,
  event: string,
  count: number,
  timeoutMs = 10000,
  filter: (...args: T) => boolean = () => true,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const seen: T[] = [];
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms: saw ${seen.length} of ${count} "${event}" events`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      if (!filter(...(args as T))) return;
      seen.push(args as T);
      if (seen.length === count) {
        clearTimeout(timer);
        emitter.off(event, listener);
        resolve(seen);
      }
    };
    emitter.on(event, listener);
  });
}
