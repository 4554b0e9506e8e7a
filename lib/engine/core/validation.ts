import { ConveyorValidationError } from './errors.js';
import { show } from './show.js';

// Argument and option checks: every one names the option and the value, and runs before anything
// reaches Redis.

function fail(message: string): never {
  throw new ConveyorValidationError(message);
}

export function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    fail(`${name} must be an integer, got ${show(value)}`);
  }
  if (value < min || value > max) {
    fail(
      max === Number.MAX_SAFE_INTEGER
        ? `${name} must be >= ${min}, got ${value}`
        : `${name} must be between ${min} and ${max}, got ${value}`,
    );
  }
}

export function checkBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') fail(`${name} must be a boolean, got ${show(value)}`);
}

export function checkQueueName(name: unknown): asserts name is string {
  // BullMQ's texts first: code and tests match on them
  if (typeof name !== 'string' || name.length === 0) fail(`Queue name must be provided (a non-empty string), got ${show(name)}`);
  if (name.includes(':')) fail(`Queue name cannot contain :, got ${show(name)}`);
}

export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || prefix.length === 0) fail(`prefix must be a non-empty string, got ${show(prefix)}`);
}

/** An options argument: undefined or a plain object with only the known keys. */
export function checkOptionsObject(name: string, value: unknown, known: string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object, got ${show(value)}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) fail(`${name}.${key} is not a known option (${known.join(', ')})`);
  }
  return value as Record<string, unknown>;
}
