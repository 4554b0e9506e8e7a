import { ConveyorValidationError } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import { PROCESS_METADATA } from '../queue.constants.js';
import { appendMethodMetadata } from './metadata.js';

/** What `@Process` stores: a job name, or none for the catch-all. */
export interface ProcessMetadata {
  name?: string;
}

/**
 * Routes jobs named `name` to this method of a `@Processor`; without a name it takes every job no
 * other handler takes. A job that no handler takes fails at once, without retries.
 */
export function Process(name?: string): MethodDecorator {
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new ConveyorValidationError(`@Process takes a job name (a non-empty string) or nothing, got ${show(name)}`);
  }
  return appendMethodMetadata(PROCESS_METADATA, (name === undefined ? {} : { name }) satisfies ProcessMetadata);
}
