import { runScript } from '../core/scripts.js';
import type { WorkerContext } from './context.js';

export interface StalledCheckerHost extends Pick<WorkerContext, 'connection' | 'keys' | 'opts' | 'state' | 'reporter'> {
  /**
   * worker.checkStalled() and worker.moveStalledJobsToWait(): the timer goes through the worker's
   * public methods, so that telemetry's span (which replaces the latter on the instance) and a
   * test's stub see every pass.
   */
  checkStalled(): Promise<string[]>;
  moveStalledJobsToWait(): Promise<string[]>;
}

/**
 * The stalled checker: every stalledInterval, jobs found in active without a lock go back to wait
 * (or fail, once stalled more than maxStalledCount times). Redis skips a pass when any worker of
 * the queue ran one within stalledInterval, so there is one check per interval across all workers.
 */
export class StalledChecker {
  private timer: NodeJS.Timeout | undefined;
  /** A pass is in flight: the next tick skips rather than send a second call. */
  private checking = false;

  constructor(private readonly host: StalledCheckerHost) {}

  /**
   * Runs the checker now and then every stalledInterval (unless skipStalledCheck, closing, or it
   * runs already). Resolves after the first pass.
   */
  async start(): Promise<void> {
    const { opts, state } = this.host;
    if (opts.skipStalledCheck || state.closing || this.timer) return;
    this.timer = setInterval(() => void this.host.checkStalled(), opts.stalledInterval);
    this.timer.unref?.();
    await this.host.checkStalled();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass from the timer: errors become 'error' events (none while closing). */
  async check(): Promise<string[]> {
    if (this.checking) return [];
    this.checking = true;
    try {
      return await this.host.moveStalledJobsToWait();
    } catch (err) {
      if (!this.host.state.closing) this.host.reporter.reportRetried(err);
      return [];
    } finally {
      this.checking = false;
    }
  }

  /**
   * One pass, as BullMQ's moveStalledJobsToWait: a 'stalled' event per job moved; resolves with
   * their ids (errors are the caller's).
   */
  async pass(): Promise<string[]> {
    const { connection, keys, opts, reporter } = this.host;
    const ids = (await runScript(
      connection.client,
      'moveStalledJobsToWait',
      [keys.stalledCheck],
      [keys.base, opts.maxStalledCount, Date.now(), Math.ceil(opts.stalledInterval)],
    )) as string[];
    for (const id of ids) reporter.notify('stalled', id, 'active');
    return ids;
  }
}
