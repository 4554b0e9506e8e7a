import { retryDelayAfter } from '../connection/connection.js';
import { runScript } from '../core/scripts.js';
import { retryDelayMs } from '../core/timing.js';
import { parseFetchReplyAs } from '../job/fetch-reply.js';
import { moveToActiveArgs } from '../job/finish-args.js';
import type { JobHost } from '../job/host.js';
import { Job } from '../job/job.js';
import type { BlockingConnection } from './blocking-connection.js';
import type { WorkerContext } from './context.js';

/** What a fetch brought: jobs taken into active (locked with the fetch's token), and when to look again. */
export interface FetchReply {
  /** ms the queue's rate limit still holds (0 = none). */
  rateLimitTtl: number;
  /** Due time of the earliest delayed job (0 = none). */
  nextDelayed: number;
  jobs: Job[];
}

/** Slots a finish's fetch-next may fill: `requested` to ask for, of which `reserved` were free ones. */
export interface NextClaim {
  requested: number;
  reserved: number;
}

export interface FetchLoopHost extends Pick<
  WorkerContext,
  'connection' | 'keys' | 'opts' | 'state' | 'slots' | 'reporter' | 'moves' | 'fetches'
> {
  /** The worker: jobs are made with it as their queue. */
  readonly jobHost: JobHost;
  /** Tokens are `<workerId>:<n>`. */
  readonly workerId: string;
  readonly blocking: BlockingConnection;
  /** A wait that close() ends at once (worker.delay). */
  sleep(ms: number): Promise<void>;
  /** The loop runs: its first fetch is about to go out (timers, 'ready'). */
  started(): void;
  /** Starts processing a job just taken (it is held by the time start returns). */
  start(job: Job): void;
  /** Puts jobs taken but not to be run back in front of the queue. */
  handBackAll(jobs: Job[]): Promise<void>;
}

/**
 * The fetch loop: while slots are free, one moveToActive call takes as many jobs as there are
 * free slots; when the queue runs dry it blocks on the marker (blocking connection) instead of
 * polling, and it waits out the queue's rate limit. Finishes fetch the next jobs themselves
 * (finish-batcher.ts), through claimNext/parseFetch/take here: the loop fetches only for the slots
 * those fetches leave free.
 */
export class FetchLoop {
  /** The last fetch found nothing: wait on the marker before fetching again. */
  private idle = false;
  private drainedEmitted = false;
  private nextDelayedAt = 0;
  /** The queue's rate limit holds this worker back until then (ms); it fetches nothing before. */
  private limitUntil = 0;
  private tokenCounter = 0;

  constructor(private readonly host: FetchLoopHost) {}

  /** Runs until close() or pause(); the jobs it started may still be running when it ends. */
  async run(): Promise<void> {
    const { host } = this;
    const { state, slots, reporter } = host;
    if (!(await host.blocking.up())) return;
    host.started();
    let failures = 0;
    while (!state.closing && !state.paused) {
      const free = slots.free();
      if (free <= 0) {
        await slots.changed.wait();
        continue;
      }
      const limitedMs = this.limitUntil - Date.now();
      if (limitedMs > 0) {
        // at most maximumRateLimitDelay: the next fetch promotes delayed jobs that came due
        await host.sleep(Math.min(limitedMs, host.opts.maximumRateLimitDelay));
        // the next fetch asks Redis again (a delay() that returned early, e.g. stubbed under a
        // fake clock, must not spin here without ever yielding to I/O)
        this.limitUntil = 0;
        continue;
      }
      if (this.idle) {
        await this.waitForJobs();
        continue;
      }
      slots.reserve(free);
      let reply: FetchReply | undefined;
      let lastError: unknown;
      try {
        reply = await this.fetch(free);
        failures = 0;
      } catch (err) {
        if (!state.closing) reporter.reportRetried(err);
        lastError = err;
        failures += 1;
      }
      if (!reply) {
        slots.release(free);
        if (!state.closing) await host.sleep(retryDelayAfter(lastError, failures));
        continue;
      }
      if (state.closing) {
        // a fetch in flight when close() began: its jobs go back to wait at once, never stay active
        await host.handBackAll(reply.jobs);
        slots.release(free);
        break;
      }
      this.take(reply, free, free);
    }
  }

  /** One moveToActive call for up to `count` jobs, locked with `token` (a new one by default). */
  async fetch(count: number, token = this.nextToken()): Promise<FetchReply> {
    const { host } = this;
    const args = moveToActiveArgs(host.keys.base, token, host.moves(), Date.now(), count);
    const call = host.fetches.begin();
    let raw: unknown[];
    try {
      raw = (await runScript(host.connection.client, 'moveToActive', [host.keys.meta], args)) as unknown[];
    } catch (err) {
      host.fetches.end(call, err);
      throw err;
    }
    host.fetches.end(call);
    return this.parseFetch(raw, 0, token);
  }

  /** A fetch reply (a moveToActive one at offset 0, a moveToFinished one at 1) as jobs. */
  parseFetch(raw: unknown[], offset: number, token: string): FetchReply {
    const { jobHost } = this.host;
    return parseFetchReplyAs(raw, offset, (id, hash) => {
      const job = Job.fromHash(jobHost, hash, id);
      job.token = token;
      return job;
    });
  }

  /**
   * How many jobs a finish of `finishing` jobs may fetch: their own slots plus the free ones
   * (reserved until the reply is handled), none while closing, paused or rate-limited.
   */
  claimNext(finishing: number): NextClaim {
    const { state, slots } = this.host;
    if (state.closing || state.paused || this.limitUntil > Date.now()) return { requested: 0, reserved: 0 };
    const free = slots.free();
    if (free < 0) return { requested: 0, reserved: 0 };
    slots.reserve(free);
    return { requested: free + finishing, reserved: free };
  }

  /**
   * Starts the jobs a fetch brought and gives back the slots it had reserved. A fetch that asked
   * for jobs and got none (and no rate limit) means the queue ran dry: wait on the marker next,
   * and say 'drained' once per dry spell.
   */
  take(reply: FetchReply, requested: number, reserved: number): void {
    this.nextDelayedAt = reply.nextDelayed;
    if (reply.rateLimitTtl > 0) this.limitUntil = Date.now() + reply.rateLimitTtl;
    for (const job of reply.jobs) this.host.start(job);
    this.host.slots.release(reserved);
    if (requested === 0) return;
    if (reply.jobs.length > 0) {
      this.idle = false;
      this.drainedEmitted = false;
    } else if (reply.rateLimitTtl === 0) {
      this.idle = true;
      if (!this.drainedEmitted) {
        this.drainedEmitted = true;
        this.host.reporter.notify('drained');
      }
    }
  }

  /** The queue is rate-limited for `ms` more (a processor's RateLimitError): fetch nothing until then. */
  limitFor(ms: number): void {
    if (ms > 0) this.limitUntil = Math.max(this.limitUntil, Date.now() + ms);
  }

  /**
   * Idle: block on the marker until a job is ready (member "0"), a delayed job is due (member
   * "1", score = due time), or `deadline` (drainDelay by default) passes; never polls.
   */
  async waitForJobs(deadline = Date.now() + this.host.opts.drainDelay * 1000, nextDelayed = this.nextDelayedAt): Promise<void> {
    const { host } = this;
    const { state, reporter } = host;
    this.nextDelayedAt = nextDelayed;
    let failures = 0;
    while (!state.closing && !state.paused) {
      const until = this.nextDelayedAt > 0 ? Math.min(deadline, this.nextDelayedAt) : deadline;
      const timeoutMs = until - Date.now();
      if (timeoutMs <= 0) break;
      let popped: string[] | null;
      try {
        popped = (await host.blocking.client!.bzpopmin(host.keys.marker, Math.max(timeoutMs, 1) / 1000)) as string[] | null;
      } catch (err) {
        if (state.closing || state.paused) break;
        reporter.reportRetried(err);
        failures += 1;
        await host.sleep(retryDelayMs(failures));
        continue;
      }
      if (!popped) break;
      const [, member, score] = popped;
      if (member === '1' && Number(score) > Date.now()) {
        // the earliest delayed job is not due yet: wait for it (or for a ready job) until then
        this.nextDelayedAt = Number(score);
        continue;
      }
      break;
    }
    this.idle = false;
  }

  private nextToken(): string {
    this.tokenCounter += 1;
    return `${this.host.workerId}:${this.tokenCounter}`;
  }
}
