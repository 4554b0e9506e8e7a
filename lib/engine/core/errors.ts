/** Error types of the engine, named as BullMQ names them so `instanceof` checks port over. */

/** Thrown by a processor to fail a job at once, without retries. */
export class UnrecoverableError extends Error {
  constructor(message = 'bullmq:unrecoverable') {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/** Thrown by a processor after `job.moveToDelayed`, so the worker leaves the job where it is. */
export class DelayedError extends Error {
  constructor(message = 'bullmq:movedToDelayed') {
    super(message);
    this.name = 'DelayedError';
  }
}

/** Thrown by a processor after `job.moveToWait`. */
export class WaitingError extends Error {
  constructor(message = 'bullmq:movedToWait') {
    super(message);
    this.name = 'WaitingError';
  }
}

/** Thrown by a processor after `job.moveToWaitingChildren`. */
export class WaitingChildrenError extends Error {
  constructor(message = 'bullmq:movedToWaitingChildren') {
    super(message);
    this.name = 'WaitingChildrenError';
  }
}

/** Thrown by a processor after `worker.rateLimit(ms)`: the job goes back to wait, no attempt used. */
export class RateLimitError extends Error {
  constructor(message = 'bullmq:rateLimitExceeded') {
    super(message);
    this.name = 'RateLimitError';
  }
}

/**
 * The reason a processor's signal is aborted with when the job's lock was lost (it expired or was
 * taken over): another worker may run the job. Conveyor's own; also reported on `error`.
 */
export class LockLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockLostError';
  }
}

/**
 * The reason a processor's signal is aborted with by `worker.close(true, { requeue: true })`: the
 * job went back to wait. Conveyor's own.
 */
export class WorkerClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerClosedError';
  }
}

/**
 * What an attempt fails with when the processor threw DelayedError, WaitingError or
 * WaitingChildrenError without moving its job first (`cause`: what it threw). Conveyor's own.
 */
export class JobNotMovedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobNotMovedError';
  }
}

/**
 * What an attempt fails with when the processor threw something that is no Error (a string,
 * undefined, a plain object: `cause`); its message is the readable failedReason. Conveyor's own.
 */
export class NonErrorThrown extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonErrorThrown';
  }
}

/** Bad input: names the option and the value. Thrown before anything reaches Redis. */
export class ConveyorValidationError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ConveyorValidationError';
  }
}

/** Redis could not be reached in time, or went away under a command. */
export class ConveyorConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConveyorConnectionError';
  }
}

/** A script refused an operation; `code` is the wire-format error code (negative, §8). */
export class ConveyorScriptError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly jobId?: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'ConveyorScriptError';
  }
}

/**
 * Wire-format error codes (negative script returns, wire-format §8). A numeric enum, as bullmq's: it maps names to
 * codes and codes back to names (`ErrorCode[-1] === 'JobNotExist'`).
 */
export enum ErrorCode {
  JobNotExist = -1,
  JobLockNotExist = -2,
  JobNotInState = -3,
  JobPendingChildren = -4,
  ParentJobNotExist = -5,
  JobLockMismatch = -6,
  ParentJobCannotBeReplaced = -7,
  JobBelongsToJobScheduler = -8,
  JobHasFailedChildren = -9,
  SchedulerJobIdCollision = -10,
  SchedulerJobSlotsBusy = -11,
}

/**
 * The one place where a negative script return becomes an error, with BullMQ's text for the code.
 * `parentKey` is the parent the command named (-5, -7): BullMQ names it in those two texts
 * (a caller that does not know it gets the job named instead).
 */
export function scriptError(
  code: number,
  jobId: string | undefined,
  command: string,
  state = 'active',
  parentKey?: string,
): ConveyorScriptError {
  const id = jobId ?? '?';
  const message = (() => {
    switch (code) {
      case ErrorCode.JobNotExist:
        return `Missing key for job ${id}. ${command}`;
      case ErrorCode.JobLockNotExist:
        return `Missing lock for job ${id}. ${command}`;
      case ErrorCode.JobNotInState:
        return `Job ${id} is not in the ${state} state. ${command}`;
      case ErrorCode.JobPendingChildren:
        return `Job ${id} has pending dependencies. ${command}`;
      case ErrorCode.ParentJobNotExist:
        return `Missing key for parent job ${parentKey ?? `of ${id}`}. ${command}`;
      case ErrorCode.JobLockMismatch:
        return `Lock mismatch for job ${id}. Cmd ${command} from ${state}`;
      case ErrorCode.ParentJobCannotBeReplaced:
        return `The parent job ${parentKey ?? `of ${id}`} cannot be replaced. ${command}`;
      case ErrorCode.JobBelongsToJobScheduler:
        return `Job ${id} belongs to a job scheduler and cannot be removed directly. ${command}`;
      case ErrorCode.JobHasFailedChildren:
        return `Cannot complete job ${id} because it has at least one failed child. ${command}`;
      case ErrorCode.SchedulerJobIdCollision:
        return `Cannot create job scheduler iteration - job ID already exists. ${command}`;
      case ErrorCode.SchedulerJobSlotsBusy:
        return `Cannot create job scheduler iteration - current and next time slots already have jobs. ${command}`;
      default:
        return `Unknown code ${code} error for ${id}. ${command}`;
    }
  })();
  return new ConveyorScriptError(message, code, jobId, command);
}
