import { ConveyorValidationError } from '../../engine/index.js';
import { show } from '../../engine/internal.js';
import { WORKER_EVENT_METADATA } from '../queue.constants.js';
import { appendMethodMetadata } from './metadata.js';

/** Events an engine Worker emits; any other name is passed through as it is. */
export type WorkerEventName =
  | 'active'
  | 'progress'
  | 'completed'
  | 'failed'
  | 'stalled'
  | 'error'
  | 'drained'
  | 'ready'
  | 'paused'
  | 'resumed'
  | 'closing'
  | 'closed'
  | 'lockRenewalFailed'
  | (string & {});

/** What `@OnWorkerEvent` is given (@nestjs/bullmq's shape). */
export interface OnWorkerEventMetadata {
  eventName: WorkerEventName;
}

/**
 * Calls this method of a `@Processor` with the arguments of the worker's `event`. A method that
 * throws (or rejects) is logged; the worker goes on.
 */
export function OnWorkerEvent(eventName: WorkerEventName): MethodDecorator {
  if (typeof eventName !== 'string' || eventName.length === 0) {
    throw new ConveyorValidationError(`@OnWorkerEvent takes an event name, got ${show(eventName)}`);
  }
  return appendMethodMetadata(WORKER_EVENT_METADATA, eventName);
}

/** `(job, prev)` when a job starts. */
export const OnJobActive = () => OnWorkerEvent('active');
/** `(job, progress)` when a job reports progress. */
export const OnJobProgress = () => OnWorkerEvent('progress');
/** `(job, result, prev)` when a job completes. */
export const OnJobCompleted = () => OnWorkerEvent('completed');
/** `(job, error, prev)` when an attempt fails (retried or final). */
export const OnJobFailed = () => OnWorkerEvent('failed');
/** `(jobId, prev)` when the stalled checker moves a job back to wait. */
export const OnJobStalled = () => OnWorkerEvent('stalled');
/** `(error)` for connection and lock problems the worker reports. */
export const OnWorkerError = () => OnWorkerEvent('error');
/** `()` when the queue has no more jobs ready for this worker. */
export const OnWorkerDrained = () => OnWorkerEvent('drained');
