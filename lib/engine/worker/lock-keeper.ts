import { LockLostError } from '../core/errors.js';
import { runScript } from '../core/scripts.js';
import type { WorkerContext } from './context.js';

export interface LockKeeperHost extends Pick<WorkerContext, 'connection' | 'keys' | 'opts' | 'state' | 'slots' | 'reporter'> {
  /**
   * worker.renewLocks(): the timer goes through the worker's public method, so that telemetry's
   * span (which replaces it on the instance) and a test's stub see every pass.
   */
  renewLocks(): Promise<void>;
}

/**
 * Keeps the locks of the jobs the worker holds: one timer, every lockRenewTime, renews all of them
 * in one extendLocks call. Jobs taken by hand (getNextJob) are not held, so not renewed here.
 */
export class LockKeeper {
  private timer: NodeJS.Timeout | undefined;
  /** A pass is in flight: the next tick skips rather than send a second call. */
  private renewing = false;

  constructor(private readonly host: LockKeeperHost) {}

  /** Renews every lockRenewTime from now on, unless skipLockRenewal. */
  start(): void {
    const { opts } = this.host;
    if (opts.skipLockRenewal) return;
    this.timer = setInterval(() => void this.host.renewLocks(), opts.lockRenewTime);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Renews the locks of all held jobs in one call: 'locksRenewed' ({ count, jobIds }) for those
   * renewed. A job whose lock is gone (expired, deleted, or taken over) gets 'lockRenewalFailed'
   * and its signal aborted: another worker may run it now.
   */
  async renew(): Promise<void> {
    if (this.renewing) return;
    const { connection, keys, opts, state, slots, reporter } = this.host;
    const entries = [...slots.entries()].filter((h) => !h.lockLost && !h.abandoned);
    if (entries.length === 0) return;
    this.renewing = true;
    try {
      const args: (string | number)[] = [keys.base, opts.lockDuration];
      for (const h of entries) args.push(h.job.id!, h.token);
      const lostIds = new Set((await runScript(connection.client, 'extendLocks', [keys.stalled], args)) as string[]);
      if (lostIds.size < entries.length && reporter.listens('locksRenewed')) {
        const jobIds = entries.map((h) => h.job.id!).filter((id) => !lostIds.has(id));
        reporter.notify('locksRenewed', { count: jobIds.length, jobIds });
      }
      // a job that finished meanwhile released its lock itself: that is no loss
      const lost = entries.filter((h) => lostIds.has(h.job.id!) && h.phase === 'running' && !h.abandoned && slots.holds(h));
      if (lost.length === 0) return;
      for (const h of lost) h.lockLost = true;
      reporter.notify(
        'lockRenewalFailed',
        lost.map((h) => h.job.id!),
      );
      for (const h of lost) {
        const reason = new LockLostError(`Lock of job ${h.job.id} was lost (it expired or was taken over); another worker may run the job`);
        // an 'error' listener that throws must not keep the next job running on a lost lock
        reporter.report(reason);
        h.controller.abort(reason);
      }
    } catch (err) {
      if (!state.closing) reporter.reportRetried(err);
    } finally {
      this.renewing = false;
    }
  }
}
