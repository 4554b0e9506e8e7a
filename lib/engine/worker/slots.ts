import { Signal } from '../core/timing.js';
import type { Job } from '../job/job.js';
import type { FinishResult } from './finish-batcher.js';

/** A job this worker holds (its lock is ours). */
export interface Held {
  job: Job;
  token: string;
  /** nextAttemptsMade() when the job was taken. */
  nextAtm: string;
  controller: AbortController;
  /** The processor runs ('running'), or its outcome is being written to Redis ('finishing'). */
  phase: 'running' | 'finishing';
  /** Let go of by a forced close (left in active, or handed back): what the processor does later is ignored. */
  abandoned: boolean;
  /** Renewal found the lock gone; no more renewals for it. */
  lockLost: boolean;
  /** The job's processing chain; it gives the slot back (untrack, drop) as it ends. */
  done?: Promise<void>;
  /** What the processor returned, once it did. */
  result?: unknown;
  /** How the last finish of the job ended (FinishBatcher.finish). */
  finished?: FinishResult;
}

/** A new entry for a job just taken, locked with its own token. */
export function heldEntry(job: Job, nextAtm: string): Held {
  return { job, token: job.token!, nextAtm, controller: new AbortController(), phase: 'running', abandoned: false, lockLost: false };
}

/**
 * The worker's concurrency bookkeeping, in one place: the jobs in hand, the slots promised to
 * fetches in flight (`reserved`: a fetch of the loop and the fetch-next of a finish may be in
 * flight together, and must not fill more slots than there are between them), and the
 * processing chains close() waits for.
 *
 * Free slots = concurrency (rounded up) - jobs held - slots reserved. A fetch reserves the free
 * slots it asks for before its call goes out and releases them once its reply is handled (the
 * jobs it brought are held by then), whatever became of the call.
 */
export class Slots {
  /** Anything the fetch loop may be waiting for changed: a slot, pause, resume, close. */
  readonly changed = new Signal();
  /** The last processing chain was untracked (whenIdle). */
  private readonly idle = new Signal();
  private readonly held = new Map<string, Held>();
  private reserved = 0;
  /** Jobs whose processing chains close() waits for (a forced close lets go of some: untrack). */
  private readonly processing = new Set<Held>();

  constructor(private readonly concurrency: () => number) {}

  /** Slots neither held nor reserved; negative after the concurrency was lowered. */
  free(): number {
    // a fractional concurrency (BullMQ accepts one) gives as many slots as it rounds up to
    return Math.ceil(this.concurrency()) - this.held.size - this.reserved;
  }

  /** Promises `count` slots to a fetch about to go out. */
  reserve(count: number): void {
    this.reserved += count;
  }

  /** Gives back what reserve() promised, once the fetch's reply is handled (or it failed). */
  release(count: number): void {
    this.reserved -= count;
  }

  get(jobId: string): Held | undefined {
    return this.held.get(jobId);
  }

  entries(): IterableIterator<Held> {
    return this.held.values();
  }

  /** Jobs held, not counting those a forced close let go of. */
  jobs(): Job[] {
    return [...this.held.values()].filter((h) => !h.abandoned).map((h) => h.job);
  }

  /**
   * Aborts the signal of a job held (not one a forced close let go of), with `reason`; false when
   * there is none.
   */
  abort(jobId: string, reason?: string): boolean {
    const entry = this.held.get(jobId);
    if (!entry || entry.abandoned) return false;
    entry.controller.abort(reason);
    return true;
  }

  /** abort() for every job held. */
  abortAll(reason?: string): void {
    for (const entry of this.held.values()) if (!entry.abandoned) entry.controller.abort(reason);
  }

  /** `entry` is the one held for its job (a newer one may hold the same id). */
  holds(entry: Held): boolean {
    return this.held.get(entry.job.id!) === entry;
  }

  /** A job taken: held from now on, before its processing starts (listeners of 'active' see it). */
  hold(entry: Held): void {
    this.held.set(entry.job.id!, entry);
  }

  /**
   * The job leaves this worker's hands (only this entry: a newer one may hold the same id). With
   * `notify` false the caller says `changed` itself once it knows whether a slot stays free (a
   * finish whose fetch-next fills the slot again must not wake the loop for nothing).
   */
  drop(entry: Held, notify = true): void {
    if (this.held.get(entry.job.id!) === entry) {
      this.held.delete(entry.job.id!);
      if (notify) this.changed.notify();
    }
  }

  /**
   * The entry's processing, which close() waits for until it is untracked (its chain ends, or a
   * forced close lets go of it). `done` is the chain, when known.
   */
  track(entry: Held, done?: Promise<void>): void {
    if (done) entry.done = done;
    this.processing.add(entry);
  }

  untrack(entry: Held): void {
    if (this.processing.delete(entry) && this.processing.size === 0) this.idle.notify();
  }

  /** Processing chains still tracked. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** Resolves when no job is in hand any more (jobs a forced close let go of do not count). */
  async whenIdle(): Promise<void> {
    while (this.processing.size > 0) await this.idle.wait();
  }
}
