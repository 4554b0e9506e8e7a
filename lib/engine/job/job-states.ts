import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';

/** Where a job is, as `job.getState()` names it. */
export type JobState = 'completed' | 'failed' | 'delayed' | 'active' | 'waiting' | 'waiting-children' | 'prioritized' | 'unknown';

/** The two states a job finishes in. */
export type FinishedStatus = 'completed' | 'failed';

export function checkFinishedState(name: string, state: unknown): asserts state is FinishedStatus {
  if (state !== 'completed' && state !== 'failed')
    throw new ConveyorValidationError(`${name} must be 'completed' or 'failed', got ${show(state)}`);
}
