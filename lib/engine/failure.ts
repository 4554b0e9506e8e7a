/**
 * Turns whatever a processor threw into an Error and a readable failedReason: strings, undefined
 * and plain objects included.
 */
export function describeFailure(thrown: unknown): { error: Error; reason: string } {
  if (thrown instanceof Error) {
    return { error: thrown, reason: thrown.message || thrown.name || 'Error' };
  }
  let reason: string;
  if (typeof thrown === 'string') reason = thrown;
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
  const error = new Error(reason);
  error.name = 'NonErrorThrown';
  return { error, reason };
}
