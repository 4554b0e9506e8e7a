/**
 * Single adds go to Redis together: the adds of a tick are sent as one addJobs.lua call in its
 * "each" mode, which writes them in the order the adds were made, each written, refused or failed
 * on its own, just as if its add had been sent alone after the ones before it. A producer with many
 * adds in flight pays one script call (and one read of the queue's meta) per batch, not per job.
 *
 * When to send, without timers:
 * - adds coming one at a time (nothing out, and the last batch held one job): at once, as an
 *   unbatched add, so a lone add pays nothing for the batching. On such a queue the first add of a
 *   burst goes alone, the others together; after that whole bursts go in one call;
 * - otherwise the pending batch is cut on a microtask (the adds of this tick), or, while a call
 *   awaits its reply, at the end of the event loop's turn (setImmediate), so that the adds of the
 *   turn's other callbacks (the requests of a web server, other replies) join it too;
 * - a batch cut with nothing out goes as two calls (from SPLIT_MIN_JOBS jobs on): Redis runs the
 *   second while this process settles the first and makes the adds its callers chain on, instead
 *   of the two taking turns (add-100 in bench/: 1.5x bullmq with one call, 2.0x with two).
 *
 * What is batched has been checked and encoded already (add-jobs.ts), so a bad add rejects alone
 * and never joins a batch; the counter values are reserved before the send as for any add (ids.ts),
 * so a batch that ioredis sends again after a lost reply stays one job per add.
 */
import { ReplyError } from 'ioredis';
import { ConveyorScriptError, scriptError } from '../core/errors.js';
import { show } from '../core/show.js';
import { reserveIds, type AddedJob, type AddSender, type AddTarget, type PreparedJob } from './add-jobs.js';

/** The most jobs one call carries: the most the id reserve hands out from one block. */
export const MAX_BATCH_JOBS = 1000;
/**
 * The most text (names, data, options, parent references) one call carries, so a batch never
 * holds Redis much longer than a big addBulk would; a bigger add goes alone.
 */
export const MAX_BATCH_CHARS = 2 * 1024 * 1024;
/**
 * A batch made while nothing is out goes as two calls from this many jobs on (see add()): below
 * it, a second call costs Redis more than the overlap gains.
 */
export const SPLIT_MIN_JOBS = 16;

/** The fixed part of a job in the script's JSON, besides its texts. */
const JOB_OVERHEAD_CHARS = 200;

interface Waiting {
  job: PreparedJob;
  resolve(added: AddedJob): void;
  reject(err: unknown): void;
}

export class AddBatcher implements AddSender {
  private pending: Waiting[] = [];
  private chars = 0;
  private scheduled = false;
  /** Calls of single adds (batches, lone adds) whose replies have not come. */
  private inFlight = 0;
  /** Calls not yet handed to the connection (their ids are being reserved, or they wait their turn). */
  private unsent = 0;
  /** Wakes the calls waiting their turn, in order. */
  private readonly turns: (() => void)[] = [];
  /** The last batch held more than one job: adds are coming together. */
  private concurrent = false;

  constructor(private readonly target: AddTarget) {}

  /** Resolves with the job as written, or rejects with what a lone add of it would reject with. */
  add(job: PreparedJob): Promise<AddedJob> {
    if (this.goesAlone()) return this.sendAlone(job);
    return new Promise<AddedJob>((resolve, reject) => {
      const chars = sizeOf(job);
      if (this.pending.length >= MAX_BATCH_JOBS || (this.pending.length > 0 && this.chars + chars > MAX_BATCH_CHARS)) this.cut();
      this.pending.push({ job, resolve, reject });
      this.chars += chars;
      if (!this.scheduled) {
        this.scheduled = true;
        const go = () => {
          this.scheduled = false;
          // nothing out: two calls instead of one, so that Redis runs the second while this
          // process handles the reply of the first and makes the adds that follow it
          this.cut(this.inFlight === 0 && this.pending.length >= SPLIT_MIN_JOBS ? 2 : 1);
        };
        // while a call awaits its reply Redis is busy with it anyway: waiting for the end of the
        // turn costs the batch little
        if (this.inFlight > 0) setImmediate(go);
        else queueMicrotask(go);
      }
    });
  }

  /** Adds come one at a time and nothing is out: the next goes at once (see the top of the file). */
  private goesAlone(): boolean {
    return !this.concurrent && this.inFlight === 0 && this.unsent === 0 && this.pending.length === 0;
  }

  /** A lone add, sent at once as one job of its own (all or nothing: the call an unbatched add makes). */
  private async sendAlone(job: PreparedJob): Promise<AddedJob> {
    this.inFlight += 1;
    this.unsent += 1;
    let reply: Promise<unknown>;
    try {
      // reserveIds for one job, without its extra async step: this is the path of every lone add
      const { target } = this;
      await target.ready();
      const [id] = await target.ids.take(1);
      job.payload.id ??= id;
      job.payload.rid = 1;
      reply = target.exec('addJobs', [target.keys.meta], [target.keys.base, JSON.stringify([job.payload])]);
    } catch (err) {
      this.inFlight -= 1;
      throw err;
    } finally {
      this.unsent -= 1;
      this.turns.shift()?.();
    }
    let result: unknown;
    try {
      result = await reply;
    } finally {
      this.inFlight -= 1;
    }
    if (Array.isArray(result) && typeof result[0] === 'string') return { ...job.added, id: result[0] };
    throw outcomeError(job, Array.isArray(result) ? result[0] : result);
  }

  /** An all-or-nothing add (addBulk): sent after the single adds made before it. */
  bulk(jobs: PreparedJob[]): Promise<unknown> {
    this.cut();
    return new Promise((resolve, reject) => void this.sendInTurn(jobs, false, resolve, reject));
  }

  /** Sends what is pending, each job on its own, as `parts` calls of about the same size. */
  private cut(parts = 1): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.chars = 0;
    this.concurrent = pending.length > 1;
    const size = Math.ceil(pending.length / parts);
    for (let from = 0; from < pending.length; from += size) this.sendBatch(pending.slice(from, from + size));
  }

  private sendBatch(batch: Waiting[]): void {
    this.inFlight += 1;
    void this.sendInTurn(
      batch.map((w) => w.job),
      true,
      (result) => {
        this.inFlight -= 1;
        settle(batch, result);
      },
      (err) => {
        this.inFlight -= 1;
        batch.forEach((w) => w.reject(err));
      },
    );
  }

  /**
   * One addJobs call, whose reply goes to `done` (its failure, or the reservation's, to `fail`).
   * Calls reserve their ids side by side (a Redis that is away fails them all after one wait, not
   * one wait each), but go to the connection in the order they were made, so jobs enter the queue
   * in the order of their adds.
   */
  private async sendInTurn(
    jobs: PreparedJob[],
    each: boolean,
    done: (result: unknown) => void,
    fail: (err: unknown) => void,
  ): Promise<void> {
    const reserved = reserveIds(this.target, jobs);
    const turn = this.unsent++ > 0 ? new Promise<void>((resolve) => this.turns.push(resolve)) : undefined;
    try {
      if (turn) {
        // its failure is taken up below, after the earlier calls went: not unhandled meanwhile
        reserved.catch(() => undefined);
        await turn;
      }
      await reserved;
      const { keys } = this.target;
      const args = [keys.base, JSON.stringify(jobs.map((j) => j.payload))];
      this.target.exec('addJobs', [keys.meta], each ? [...args, 'each'] : args).then(done, fail);
    } catch (err) {
      fail(err);
    } finally {
      this.unsent -= 1;
      this.turns.shift()?.();
    }
  }
}

/** Hands each add its own outcome: its id, the error a lone add gets for a refusal, or the error its writes raised. */
function settle(batch: Waiting[], result: unknown): void {
  if (!Array.isArray(result) || result.length !== batch.length) {
    const err = new ConveyorScriptError(`addJobs answered ${show(result)} for ${batch.length} jobs`, 0, undefined, 'addJob');
    batch.forEach((w) => w.reject(err));
    return;
  }
  batch.forEach((w, i) => {
    const entry: unknown = result[i];
    const { added } = w.job;
    if (typeof entry === 'string') w.resolve({ ...added, id: entry });
    else w.reject(outcomeError(w.job, entry));
  });
}

/** The error of a job addJobs did not write: its refusal code, or what its writes raised. */
function outcomeError({ payload }: PreparedJob, entry: unknown): Error {
  if (typeof entry === 'number') return scriptError(entry, payload.id, 'addJob', undefined, payload.parentKey);
  return new ReplyError(Array.isArray(entry) ? String(entry[0]) : `addJobs answered ${show(entry)} for job ${payload.id}`);
}

function sizeOf({ payload }: PreparedJob): number {
  return payload.name.length + payload.data.length + payload.opts.length + (payload.parent?.length ?? 0) + JOB_OVERHEAD_CHARS;
}

/** `target` with its single adds batched (AddTarget.batches). */
export function batchingAdds<T extends AddTarget>(target: T): T {
  target.batches = new AddBatcher(target);
  return target;
}
