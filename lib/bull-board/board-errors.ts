import { ErrorCode } from '../engine/index.js';

/**
 * bull-board answers a thrown error with the status in its `statusCode` (500 without one) and the
 * error's message. Conveyor refuses bad input with a ConveyorValidationError and a job in the
 * wrong state with a ConveyorScriptError; both are the caller's to fix, so the board should say 4xx
 * with Conveyor's text rather than "Internal server error".
 */
export class BoardRequestError extends Error {
  /** Read by bull-board's error handler. */
  readonly statusCode: 400 | 404 | 409;
  /** The script error's wire-format code, kept: bull-board's handlers branch on it (-8). */
  readonly code: number | undefined;

  constructor(message: string, statusCode: 400 | 404 | 409, options: { cause: unknown; code?: number }) {
    super(message, { cause: options.cause });
    this.name = 'BoardRequestError';
    this.statusCode = statusCode;
    this.code = options.code;
  }
}

// Recognised by name and shape, not instanceof: the queue may come from another copy of the
// package than this module (a linked checkout, a second install).
function isNamed(err: unknown, name: string): err is Error & { code?: unknown } {
  return err instanceof Error && err.name === name;
}

/** The 4xx a Conveyor error stands for, or the error as it was when it is not the caller's fault. */
export function toBoardError(err: unknown): unknown {
  if (isNamed(err, 'ConveyorValidationError')) return new BoardRequestError(err.message, 400, { cause: err });
  if (isNamed(err, 'ConveyorScriptError') && typeof err.code === 'number') {
    // the job went away between the board's read and its action: as if it had never been there
    const status = err.code === ErrorCode.JobNotExist ? 404 : 409;
    return new BoardRequestError(err.message, status, { cause: err, code: err.code });
  }
  return err;
}

/** Runs `call`, turning the errors it rejects with into what the board should answer. */
export async function boardCall<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toBoardError(err);
  }
}

/** The job methods bull-board's handlers call to act on one job. */
const JOB_ACTIONS = new Set(['promote', 'remove', 'retry', 'updateData', 'changeDelay', 'changePriority', 'removeUnprocessedChildren']);

/**
 * The job as bull-board gets it: the handlers call its methods themselves (promote, retry, remove,
 * ...), so their refusals are translated here, on the way out of each call. Everything else is
 * the job's own.
 */
export function boardJob<J extends object>(job: J): J {
  return new Proxy(job, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof property === 'string' && JOB_ACTIONS.has(property)) {
        return (...args: unknown[]) => boardCall(() => method.apply(target, args));
      }
      return method.bind(target);
    },
  });
}
