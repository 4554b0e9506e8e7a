// One scenario's world: its own redis-server and directories, its queue, its producers and workers,
// the faults it injected and what it measured; then the drain by a healthy worker and the check.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from './checker.mjs';
import { openLedger, readLedger } from './ledger.mjs';
import { Child, trackPid } from './processes.mjs';
import { RedisServer } from './redis-server.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export class BudgetSpent extends Error {}

export class Chaos {
  /** @param {{ name: string, root: string, log: (line: string) => void }} opts */
  constructor({ name, root, log }) {
    this.name = name;
    this.dir = path.join(root, name);
    this.ledgerDir = path.join(this.dir, 'ledger');
    this.log = log;
    this.queue = `chaos-${name}-${randomUUID().slice(0, 8)}`;
    /** @type {Child[]} */
    this.children = [];
    this.faults = [];
    this.metrics = {
      /** ms from a connection kill / Redis back to each worker's next job start */
      refetchGaps: [],
      /** errors per second per worker while Redis refused writes */
      oomErrorRates: [],
      /** ms from Redis accepting writes again to the next job start of a worker it had refused */
      oomResumeGaps: [],
      /** ms from close() beginning to a job start of that worker (0 when none started) */
      startAfterClose: [],
      /** jobs a closed worker left in active with its lock */
      leftActiveByClose: 0,
      /** workers that did not exit by themselves after close() */
      hungCloses: 0,
      /** ms from a worker kill to the killed job's next start elsewhere */
      recoveryMs: [],
      /** killed-after-return jobs that were not run again */
      notRerun: 0,
      notes: [],
    };
  }

  async setup() {
    mkdirSync(this.ledgerDir, { recursive: true });
    this.redis = await RedisServer.start(path.join(this.dir, 'redis'), trackPid);
    this.admin = this.redis.adminClient();
    this.admin.on('error', () => {});
    this.runner = openLedger(this.ledgerDir, 'runner');
    this.log(`  redis-server pid ${this.redis.pid} on ${this.redis.url}, dir ${this.dir}, queue ${this.queue}`);
  }

  note(text) {
    this.metrics.notes.push(text);
    this.log(`  note: ${text}`);
  }

  spawn(kind, opts) {
    const child = new Child(path.join(FIXTURES, `${kind}.mjs`), kind, {
      queue: this.queue,
      redisUrl: this.redis.url,
      ledgerDir: this.ledgerDir,
      ...opts,
    });
    this.children.push(child);
    return child;
  }

  /** A worker process, once its Worker said 'ready'. */
  async worker(opts = {}) {
    const child = this.spawn('worker', opts);
    const ready = await child.waitFor('ready', () => true, 30_000);
    child.workerId = ready.workerId;
    return child;
  }

  async producer(opts = {}) {
    const child = this.spawn('producer', { rate: 100, parallel: 2, backlog: 200, ...opts });
    await child.waitFor('ready', () => true, 30_000);
    return child;
  }

  /**
   * Records one injected fault (runner ledger and the count in the table). Past the scenario's
   * deadline it throws BudgetSpent, which ends the fault loop (each of its waits is bounded too).
   */
  fault(kind, extra = {}) {
    const record = this.runner.write({ t: 'fault', kind, ...extra });
    this.faults.push(record);
    if (this.deadline !== undefined && Date.now() > this.deadline) {
      throw new BudgetSpent(`time budget spent after ${this.faults.length} faults`);
    }
    return record;
  }

  /**
   * For each worker: ms from `since` to its next job start. Only meaningful while jobs wait (the
   * producers keep a backlog): with `waiting` below the workers' free slots the fault is not
   * measured. A worker that starts nothing within `timeoutMs` counts as `timeoutMs`.
   */
  async measureRefetch(workers, since, into = this.metrics.refetchGaps, { waiting, timeoutMs = 10_000 } = {}) {
    const slots = workers.reduce((n, w) => n + (w.opts.concurrency ?? 1), 0);
    if (waiting !== undefined && waiting < slots) {
      this.metrics.unmeasured = (this.metrics.unmeasured ?? 0) + 1;
      return [];
    }
    const gaps = await Promise.all(
      workers
        .filter((w) => w.running)
        .map((w) =>
          w
            .waitFor('run', (m) => m.at >= since, timeoutMs)
            .then(
              (m) => m.at - since,
              () => timeoutMs,
            ),
        ),
    );
    into.push(...gaps);
    return gaps;
  }

  /** Jobs in wait right now. */
  async waiting() {
    return this.admin.llen(`bull:${this.queue}:wait`);
  }

  /** Ids in active whose lock belongs to `workerId` (tokens are `<workerId>:<n>`). */
  async activeLockedBy(workerId) {
    const base = `bull:${this.queue}:`;
    const ids = await this.admin.lrange(`${base}active`, 0, -1);
    const held = [];
    for (const id of ids) {
      const token = await this.admin.get(`${base}${id}:lock`);
      if (token && token.startsWith(`${workerId}:`)) held.push(id);
    }
    return held;
  }

  async counts() {
    const base = `bull:${this.queue}:`;
    const [wait, paused, active, delayed, prioritized, children] = await Promise.all([
      this.admin.llen(`${base}wait`),
      this.admin.llen(`${base}paused`),
      this.admin.llen(`${base}active`),
      this.admin.zcard(`${base}delayed`),
      this.admin.zcard(`${base}prioritized`),
      this.admin.zcard(`${base}waiting-children`),
    ]);
    return { wait, paused, active, delayed, prioritized, children };
  }

  /**
   * Stops the producers and the scenario's workers (SIGTERM, so they close), then lets one healthy
   * worker run until nothing waits and nothing is active (jobs of killed workers come back through
   * lock expiry and the stalled checker), and stops it.
   */
  async drain({ timeoutMs = 120_000 } = {}) {
    if (this.redis.frozen) this.redis.thaw();
    if (!this.redis.running) await this.redis.start();
    await this.admin.config('SET', 'maxmemory', '0');
    const producers = this.children.filter((c) => c.role === 'producer' && c.running);
    await Promise.all(producers.map((p) => p.stop(30_000)));
    const workers = this.children.filter((c) => c.role === 'worker' && c.running);
    const stops = await Promise.all(workers.map((w) => w.stop(30_000)));
    const hung = stops.filter((s) => !s.graceful).length;
    if (hung) this.note(`${hung} worker(s) did not exit within 30 s of SIGTERM before the drain`);

    const healthy = await this.worker({
      concurrency: 8,
      jobMs: [1, 5],
      lockDuration: 5000,
      stalledInterval: 500,
      maxStalledCount: 5,
      drainDelay: 1,
    });
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      last = await this.counts();
      const left = last.wait + last.paused + last.active + last.delayed + last.prioritized + last.children;
      if (left === 0) break;
      if (Date.now() > deadline) {
        this.note(`drain gave up after ${timeoutMs} ms: ${JSON.stringify(last)}`);
        break;
      }
      // no event says "every state is empty": poll Redis, briefly
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stop = await healthy.stop(30_000);
    if (!stop.graceful) this.note('the drain worker did not exit within 30 s of SIGTERM');
  }

  async check() {
    const { records, torn } = readLedger(this.ledgerDir);
    if (torn) this.note(`${torn} torn ledger line(s)`);
    const result = await check({ client: this.admin, queue: this.queue, records });
    return { result, records };
  }

  async teardown({ keepFiles }) {
    for (const child of this.children) if (child.running) await child.stop(5000);
    this.admin?.disconnect();
    await this.redis?.stop();
    this.runner?.close();
    if (!keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A random whole number in [min, max]. */
export function between(min, max) {
  return Math.floor(min + Math.random() * (max - min + 1));
}

/** A bounded wait for the fault's own length (not for an event: the length is the fault). */
export function hold(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
