import { isRedisRefusal, retryDelayAfter } from '../connection/connection.js';
import { scriptError } from '../core/errors.js';
import { runScript } from '../core/scripts.js';
import type { retryCall } from '../job/failure-plan.js';
import type { Job } from '../job/job.js';
import type { WorkerContext } from './context.js';
import type { Held } from './slots.js';

/** How often a move that hit a connection error is tried while the job is still ours. */
export const FINISH_RETRIES = 20;
/** How long a move Redis refuses (out of memory...) keeps being tried, every REFUSAL_RETRY_MS. */
export const REFUSAL_RETRY_WINDOW_MS = 60_000;

/**
 * Whether a call that failed `attempt` times since `since` has had its tries: a refusal (OOM...)
 * for REFUSAL_RETRY_WINDOW_MS, any other error `tries` times.
 */
export function triesSpent(err: unknown, attempt: number, since: number, tries: number): boolean {
  return isRedisRefusal(err) ? Date.now() - since >= REFUSAL_RETRY_WINDOW_MS : attempt >= tries;
}

export type HeldMovesHost = Pick<WorkerContext, 'connection' | 'keys' | 'state' | 'reporter' | 'delay'>;

/**
 * Moves of jobs the worker holds, other than finishing them (finish-batcher.ts): a retry or a
 * delay after a failed attempt, a rate-limited job back to wait, a job handed back unrun. The work
 * of a processor must not be lost to a passing outage, so a move that fails is tried again while
 * the job is still ours (retryPause: the rules, shared with the finishes).
 */
export class HeldJobMoves {
  constructor(private readonly host: HeldMovesHost) {}

  /**
   * After a failed move of a held job: waits before the next try and says whether to try at all.
   * A refusal (OOM...) is retried for up to REFUSAL_RETRY_WINDOW_MS, since the lock stays ours
   * meanwhile (renewals use PEXPIRE, which Redis allows when out of memory); other errors
   * FINISH_RETRIES times. A forced close gives up at once.
   */
  async retryPause(err: unknown, attempt: number, since: number): Promise<boolean> {
    const { state } = this.host;
    if (state.forceClosing) return false;
    if (triesSpent(err, attempt, since, FINISH_RETRIES)) return false;
    // not ended by close(): close() waits for work in hand to be stored
    await this.host.delay(retryDelayAfter(err, attempt));
    return !state.forceClosing;
  }

  /** retryJob / moveToDelayed for a held job; false when the job is no longer ours. */
  async move(entry: Held, { script, args }: ReturnType<typeof retryCall>): Promise<boolean> {
    const { connection, reporter } = this.host;
    const { job } = entry;
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const code = Number(await runScript(connection.client, script, [job.key], args));
        if (code < 0) {
          reporter.emitError(scriptError(code, job.id, script));
          return false;
        }
        return true;
      } catch (err) {
        reporter.reportRetried(err);
        if (!(await this.retryPause(err, attempt, since))) {
          reporter.reportGivingUp(err);
          return false;
        }
      }
    }
  }

  /** Hands a rate-limited job back to wait; resolves with the limit's remaining ms (0 = none). */
  async moveLimitedBackToWait(entry: Held): Promise<number> {
    const { connection, keys, reporter } = this.host;
    const { job, token } = entry;
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = Number(await runScript(connection.client, 'moveJobFromActiveToWait', [job.key], [keys.base, job.id!, token]));
        if (reply >= 0) return reply;
        reporter.emitError(scriptError(reply, job.id, 'moveJobFromActiveToWait'));
        return 0;
      } catch (err) {
        reporter.reportRetried(err);
        if (!(await this.retryPause(err, attempt, since))) {
          reporter.reportGivingUp(err);
          return 0;
        }
      }
    }
  }

  /** Puts a job this worker will not run back in front of the queue, without using an attempt. */
  async handBack(job: Job, token: string): Promise<void> {
    const { connection, keys, reporter } = this.host;
    try {
      const code = Number(
        await runScript(connection.client, 'retryJob', [job.key], [keys.base, job.id!, token, Date.now(), 'RPUSH', '', '', '0', '1']),
      );
      if (code < 0) reporter.emitError(scriptError(code, job.id, 'moveJobFromActiveToWait'));
    } catch (err) {
      reporter.emitError(err);
    }
  }

  /** Last taken first: each goes to the front of the line, so the queue keeps its order. */
  async handBackAll(jobs: Job[]): Promise<void> {
    await Promise.all([...jobs].reverse().map((job) => this.handBack(job, job.token!)));
  }
}
