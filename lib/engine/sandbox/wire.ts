import { DelayedError, RateLimitError, UnrecoverableError, WaitingChildrenError, WaitingError } from '../core/errors.js';

/**
 * A thrown value on its way between a sandboxed processor and the worker. child-entry.mjs builds
 * and reads the same shape (it cannot import this file: it runs without a compile step).
 */
export type WireThrown =
  | { kind: 'error'; name: string; message: string; stack?: string; props?: Record<string, unknown>; cause?: WireThrown }
  | { kind: 'value'; value: unknown };

/**
 * Errors the worker recognises by class: a processor in a child throws its own copy of the class,
 * so the name is what crosses over, and the worker gets its own class back.
 */
const KNOWN_ERRORS: Record<string, new (message?: string) => Error> = {
  UnrecoverableError,
  DelayedError,
  WaitingError,
  WaitingChildrenError,
  RateLimitError,
};

export function toWire(thrown: unknown, depth = 0): WireThrown {
  if (isError(thrown)) {
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(thrown)) {
      const value = (thrown as unknown as Record<string, unknown>)[key];
      if (key !== 'cause' && cloneable(value)) props[key] = value;
    }
    const wire: WireThrown = { kind: 'error', name: thrown.name, message: thrown.message, stack: thrown.stack, props };
    if (thrown.cause !== undefined && depth < 3) wire.cause = toWire(thrown.cause, depth + 1);
    return wire;
  }
  return { kind: 'value', value: cloneable(thrown) ? thrown : String(thrown) };
}

/** The thrown value again: an Error with the child's name, message, stack and own fields. */
export function fromWire(wire: WireThrown): unknown {
  if (wire.kind !== 'error') return wire.value;
  const Known = KNOWN_ERRORS[wire.name];
  const error = Known ? new Known(wire.message) : new Error(wire.message);
  error.name = wire.name;
  // no stack at all rather than one pointing into the engine (appendStack then adds none)
  if (wire.stack === undefined) delete (error as { stack?: string }).stack;
  else error.stack = wire.stack;
  Object.assign(error, wire.props);
  if (wire.cause !== undefined) error.cause = fromWire(wire.cause);
  return error;
}

/** Errors of any realm, and error-like objects such as DOMException (an AbortError). */
function isError(value: unknown): value is Error {
  if (value instanceof Error || Object.prototype.toString.call(value) === '[object Error]') return true;
  const candidate = value as { name?: unknown; message?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.message === 'string';
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
