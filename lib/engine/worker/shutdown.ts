import { WorkerClosedError } from '../core/errors.js';
import { checkBoolean, checkOptionsObject } from '../core/validation.js';
import type { BlockingConnection } from './blocking-connection.js';
import type { HeldJobMoves } from './held-moves.js';
import type { LockKeeper } from './lock-keeper.js';
import type { WorkerParts } from './parts.js';
import type { Reclaimer } from './reclaim.js';
import type { Slots } from './slots.js';
import type { StalledChecker } from './stalled-checker.js';

/** The options of `worker.close(force, opts)` (Conveyor's own). */
export interface WorkerCloseOptions {
  /**
   * With `force`: abort the signals of the jobs in hand and move them back to wait at once, no
   * attempt used, instead of leaving them in active for the stalled checker (BullMQ's close(true)).
   * @default false
   */
  requeue?: boolean;
}

/** close()'s options: undefined, or an object whose `requeue` is a boolean when given. */
export function closeRequeue(opts: unknown): boolean {
  const o = checkOptionsObject('close options', opts, ['requeue']);
  const requeue = o.requeue ?? false;
  checkBoolean('requeue', requeue);
  return requeue;
}

/**
 * A forced close lets go of the jobs whose processors still run: nothing they do later counts,
 * and close() no longer waits for them. With `requeue` their signals abort and they go back to
 * wait; without, they stay in active under their lock, which is no longer renewed (the stalled
 * checker recovers them). Jobs whose outcome is being stored are waited for all the same.
 */
export async function letGoOfRunning(
  slots: Slots,
  heldMoves: Pick<HeldJobMoves, 'handBack'>,
  workerName: string,
  requeue: boolean,
): Promise<void> {
  const running = [...slots.entries()].filter((h) => h.phase === 'running' && !h.abandoned);
  for (const h of running) {
    h.abandoned = true;
    slots.untrack(h);
  }
  slots.changed.notify();
  if (!requeue) {
    for (const h of running) slots.drop(h);
    return;
  }
  for (const h of running) {
    const reason = new WorkerClosedError(`Worker "${workerName}" closed with force: job ${h.job.id} was moved back to wait`);
    h.controller.abort(reason);
  }
  await Promise.all(
    running.reverse().map(async (h) => {
      await heldMoves.handBack(h.job, h.token);
      slots.drop(h);
    }),
  );
}

/** What close() takes down (the parts, their wakeOnClose aborted), and what it waits for on the way. */
export interface ShutdownSteps extends Pick<WorkerParts, 'reporter' | 'slots' | 'wakeOnClose'> {
  readonly stalled: Pick<StalledChecker, 'stop'>;
  readonly locks: Pick<LockKeeper, 'stop'>;
  readonly reclaim: Pick<Reclaimer, 'stop'>;
  readonly blocking: Pick<BlockingConnection, 'disconnect'>;
  /** The fetch loop's run, if it runs. */
  loopRun(): Promise<void> | undefined;
  /** A forced close's letting go, if one came (one may come while this waits). */
  forcing(): Promise<void> | undefined;
  closeSandbox(): Promise<void> | undefined;
  /** Closes the command connection (unless the user passed it), after which worker.client refuses. */
  closeConnection(): Promise<void>;
}

/**
 * close(), step by step: no more stalled checks; the loop's waits end (the blocking connection
 * goes, so a BZPOPMIN in progress ends at once) and the loop with them; the jobs in hand are
 * waited for (but those a forced close let go of); then the sandbox, the lock renewal, the
 * reclaim (a pass under way ends first) and the connections go. 'closing' first, 'closed' last.
 */
export async function shutdown(w: ShutdownSteps): Promise<void> {
  w.reporter.notify('closing', 'closing worker');
  w.stalled.stop();
  // the blocking connection is always our own
  const blockingClosed = w.blocking.disconnect();
  w.wakeOnClose.abort();
  w.slots.changed.notify();
  await w.loopRun()?.catch(() => {});
  await w.slots.whenIdle();
  await w.forcing();
  // children still busy were let go of by a forced close: nothing they do counts any more
  await w.closeSandbox();
  // the jobs close() waited for kept their locks until now
  w.locks.stop();
  // a reclaim under way hands its jobs back before the connection goes
  await w.reclaim.stop();
  await blockingClosed;
  // made while close() waited, if any (an ended one is left alone)
  const madeSince = w.blocking.disconnect();
  if (madeSince) await madeSince;
  await w.closeConnection();
  w.reporter.notify('closed');
}
