import type { EventEmitter } from 'node:events';
import type { Logger } from '@nestjs/common';
import type { InstanceResolver } from './instance.resolver.js';
import { LISTENER_FAILED } from './queue.messages.js';

export interface EventBinding {
  event: string;
  method: string;
}

/**
 * Subscribes the decorated methods of `owner` to `emitter`. A method that throws or rejects is
 * logged and nothing else: it never reaches the engine (whose emit would rethrow it) nor becomes an
 * unhandled rejection.
 */
export function bindEventHandlers(
  emitter: EventEmitter,
  bindings: readonly EventBinding[],
  owner: string,
  resolver: InstanceResolver,
  logger: Logger,
): void {
  for (const { event, method } of bindings) {
    const report = (err: unknown) => logger.error(LISTENER_FAILED(owner, method, event), err instanceof Error ? err.stack : String(err));
    emitter.on(event, (...args: unknown[]) => {
      try {
        const target = resolver.resolve(args[0]);
        const result = target instanceof Promise ? target.then((t) => call(t, method, args)) : call(target, method, args);
        if (isThenable(result)) result.then(undefined, report);
      } catch (err) {
        report(err);
      }
    });
  }
}

function call(target: object, method: string, args: unknown[]): unknown {
  return (target as Record<string, (...a: unknown[]) => unknown>)[method](...args);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
