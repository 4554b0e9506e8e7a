import { NonErrorThrown } from './errors.js';

/**
 * Turns whatever a processor threw into an Error and a readable failedReason: strings, undefined
 * and plain objects included.
 */
export function describeFailure(thrown: unknown): { error: Error; reason: string } {
  if (thrown instanceof Error) {
    return { error: thrown, reason: thrown.message || thrown.name || 'Error' };
  }
  let reason: string;
  if (typeof thrown === 'string') reason = thrown || 'Processor threw an empty string';
  else if (thrown === undefined || thrown === null) reason = `Processor threw ${thrown} instead of an Error`;
  else if (typeof thrown === 'object') {
    const message = (thrown as { message?: unknown }).message;
    if (typeof message === 'string' && message) reason = message;
    else {
      try {
        reason = `Processor threw a non-Error value: ${JSON.stringify(thrown)}`;
      } catch {
        reason = `Processor threw a non-Error value: ${Object.prototype.toString.call(thrown)}`;
      }
    }
  } else reason = `Processor threw a non-Error value: ${String(thrown)}`;
  return { error: new NonErrorThrown(reason, { cause: thrown }), reason };
}

/**
 * The job's stacktrace after a failure: the new stack appended to the earlier ones, keeping the
 * newest `limit` (0 keeps none). Values that were not Errors add no stack: a stack pointing into
 * the engine would only mislead.
 */
export function appendStack(previous: string[] | undefined, stack: string | undefined, limit: number | undefined): string[] {
  if (limit === 0) return [];
  const all = stack ? [...(previous ?? []), stack] : [...(previous ?? [])];
  return limit === undefined ? all : all.slice(-limit);
}
