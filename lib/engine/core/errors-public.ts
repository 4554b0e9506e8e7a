/**
 * bullmq 6.7's error-name constants and its closed-connection error, for code that compares
 * messages or checks `instanceof`. The error classes themselves are in errors.ts.
 */
import { ConveyorConnectionError } from './errors.js';

/** Default messages of the errors a processor throws after moving its job itself. */
export const DELAYED_ERROR = 'bullmq:movedToDelayed';
export const WAITING_ERROR = 'bullmq:movedToWait';
export const WAITING_CHILDREN_ERROR = 'bullmq:movedToWaitingChildren';
export const RATE_LIMIT_ERROR = 'bullmq:rateLimitExceeded';
export const UNRECOVERABLE_ERROR = 'bullmq:unrecoverable';

/** What ioredis says when a command meets a closed connection. */
export const CONNECTION_CLOSED_ERROR_MSG = 'Connection is closed.';

/**
 * A command failed because its connection is closed. Conveyor drives ioredis directly, whose
 * error for that is a plain Error with CONNECTION_CLOSED_ERROR_MSG; `instanceof
 * ConnectionClosedError` recognises those too, so checks written for bullmq (which wraps them in
 * this class) hold for Conveyor's errors.
 */
export class ConnectionClosedError extends Error {
  constructor(message: string = CONNECTION_CLOSED_ERROR_MSG, cause?: unknown) {
    super(message);
    // an own property even when undefined, and before `name`, as bullmq's (JSON and logs show it so)
    Object.defineProperty(this, 'cause', { value: cause, enumerable: true, writable: true, configurable: true });
    this.name = 'ConnectionClosedError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // only the base class: a subclass means exactly its own instances
    return this === ConnectionClosedError && value instanceof Error && value.message === CONNECTION_CLOSED_ERROR_MSG;
  }
}

/**
 * False for errors that say the connection is closed or was refused (as bullmq decides it, plus
 * Conveyor's ConveyorConnectionError: Redis unreachable or gone); true for anything else, which
 * includes values that are not errors at all.
 */
export function isNotConnectionError(error: Error): boolean {
  if (typeof error !== 'object' || error === null) return true;
  if (error instanceof ConnectionClosedError || error instanceof ConveyorConnectionError) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === 'ECONNREFUSED') return false;
  return typeof message !== 'string' || (message !== CONNECTION_CLOSED_ERROR_MSG && !message.includes('ECONNREFUSED'));
}
