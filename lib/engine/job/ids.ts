/**
 * Ids for jobs added without a jobId, drawn from the queue's `id` counter (the one BullMQ's
 * producers INCR) before the add is sent rather than inside the add script.
 *
 * Why: ioredis sends a command again after a reconnect when its reply was lost with the old
 * connection. If Redis had already run it, an add that draws its id inside the script runs twice
 * and leaves two jobs for one acknowledged add (the chaos suite's CLIENT KILL scenario showed it;
 * BullMQ has the same hole). With the id drawn beforehand, the resend carries the same id and the
 * add script finds the job already there: one job, and the add resolves with its id.
 *
 * Ids are reserved in blocks sized to last about BLOCK_TARGET_MS at the producer's recent rate, so
 * a busy producer pays one INCRBY per block and an occasional one one per add. A block older than
 * BLOCK_MAX_AGE_MS is dropped, so ids keep roughly following add order across producers; what is
 * dropped or left at close() is a gap in the numbering, as BullMQ's deduplicated adds leave too.
 */
const BLOCK_TARGET_MS = 100;
const BLOCK_MAX_AGE_MS = 1000;
const BLOCK_MAX = 1000;

export class JobIdReserve {
  /** The next free id of the current block, and its last one (next > last: empty). */
  private next = 1;
  private last = 0;
  private filledAt = 0;
  private size = 0;
  private filling: Promise<void> | undefined;

  /** @param reserve INCRBY the counter by `count`; resolves with the new value (the block's last id). */
  constructor(private readonly reserve: (count: number) => Promise<number>) {}

  /**
   * `count` ids never handed out before, in increasing order. What is left of the current block
   * goes first, so a lone producer's ids follow each other without gaps, as BullMQ's do.
   */
  async take(count: number): Promise<string[]> {
    const taken: string[] = [];
    for (;;) {
      if (Date.now() - this.filledAt > BLOCK_MAX_AGE_MS) this.next = this.last + 1;
      const now = Math.min(this.last - this.next + 1, count - taken.length);
      if (now > 0) {
        taken.push(...ids(this.next, now));
        this.next += now;
      }
      if (taken.length === count) return taken;
      const missing = count - taken.length;
      if (missing >= BLOCK_MAX) {
        // a big add: a block of its own, exactly its size; the rest of the current one went first,
        // so a take that comes after it cannot get earlier ids from there
        const last = await this.reserve(missing);
        return taken.concat(ids(last - missing + 1, missing));
      }
      // callers waiting together share one refill, then take from it in turn
      await (this.filling ??= this.fill(missing).finally(() => (this.filling = undefined)));
    }
  }

  private async fill(atLeast: number): Promise<void> {
    const now = Date.now();
    const elapsed = now - this.filledAt;
    // the rate at which the previous block went, if it went recently
    const rate = this.size > 0 && elapsed <= BLOCK_MAX_AGE_MS ? (this.size / Math.max(elapsed, 1)) * 1000 : 0;
    const size = Math.min(BLOCK_MAX, Math.max(atLeast, Math.round((rate * BLOCK_TARGET_MS) / 1000), 1));
    const last = await this.reserve(size);
    this.next = last - size + 1;
    this.last = last;
    this.size = size;
    this.filledAt = Date.now();
  }
}

function ids(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}
