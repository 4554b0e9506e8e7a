// The texts of script refusals: BullMQ's, which callers match on (its own tests among them). The
// codes that BullMQ's suite cannot reach easily (-11 needs 32 taken slots) are pinned here.
import { scriptError } from '../../lib/engine/core/errors.js';
import { ConveyorScriptError, ErrorCode } from '../../lib/index.js';

describe('scriptError', () => {
  it.each([
    [ErrorCode.JobNotExist, 'Missing key for job 7. cmd'],
    [ErrorCode.JobLockNotExist, 'Missing lock for job 7. cmd'],
    [ErrorCode.JobNotInState, 'Job 7 is not in the active state. cmd'],
    [ErrorCode.JobPendingChildren, 'Job 7 has pending dependencies. cmd'],
    [ErrorCode.JobLockMismatch, 'Lock mismatch for job 7. Cmd cmd from active'],
    [ErrorCode.JobBelongsToJobScheduler, 'Job 7 belongs to a job scheduler and cannot be removed directly. cmd'],
    [ErrorCode.JobHasFailedChildren, 'Cannot complete job 7 because it has at least one failed child. cmd'],
    [ErrorCode.SchedulerJobIdCollision, 'Cannot create job scheduler iteration - job ID already exists. cmd'],
    [ErrorCode.SchedulerJobSlotsBusy, 'Cannot create job scheduler iteration - current and next time slots already have jobs. cmd'],
  ])('code %p reads as BullMQ words it', (code, text) => {
    const err = scriptError(code, '7', 'cmd');
    expect(err).toBeInstanceOf(ConveyorScriptError);
    expect([err.message, err.code, err.jobId, err.command]).toEqual([text, code, '7', 'cmd']);
  });

  it('names the parent key in the parent refusals when the command knows it', () => {
    expect(scriptError(ErrorCode.ParentJobNotExist, '7', 'addJob', 'active', 'bull:q:p').message).toBe(
      'Missing key for parent job bull:q:p. addJob',
    );
    expect(scriptError(ErrorCode.ParentJobCannotBeReplaced, '7', 'addJob', 'active', 'bull:q:p').message).toBe(
      'The parent job bull:q:p cannot be replaced. addJob',
    );
  });
});
