import type { HeldConnection } from '../connection/connection.js';
import type { JobHost } from '../job/host.js';
import type { Job } from '../job/job.js';
import { moveSettingsOf, type MoveSettings } from '../job/move-settings.js';
import { scheduleNextIteration } from '../job/next-iteration.js';
import { BlockingConnection, blockingClientName } from './blocking-connection.js';
import { WorkerState, type WorkerContext } from './context.js';
import { FetchLoop } from './fetch-loop.js';
import { FinishBatcher } from './finish-batcher.js';
import { HeldJobMoves } from './held-moves.js';
import { JobRunner } from './job-runner.js';
import { LockKeeper } from './lock-keeper.js';
import type { ManualAccess } from './manual.js';
import type { ResolvedWorkerOptions } from './options.js';
import type { HandProcessing } from './process-job.js';
import { FetchesInFlight, Reclaimer } from './reclaim.js';
import { WorkerReporter } from './reporter.js';
import { Slots } from './slots.js';
import { StalledChecker } from './stalled-checker.js';
import type { WorkerTracing } from './tracing.js';

/**
 * The Worker as its parts see it. Its public methods are called on the instance whenever a part
 * needs them, never captured: telemetry replaces some of them on the instance (renewLocks,
 * moveStalledJobsToWait...) and tests stub delay(), and the parts' calls must go through those.
 */
export interface WorkerShell extends JobHost {
  readonly id: string;
  readonly prefix: string;
  readonly opts: ResolvedWorkerOptions;
  readonly closing: Promise<void> | undefined;
  listenerCount(event: string): number;
  delay(ms?: number, abortController?: AbortController): Promise<void>;
  renewLocks(): Promise<void>;
  checkStalled(): Promise<string[]>;
  moveStalledJobsToWait(): Promise<string[]>;
}

/** What the Worker keeps to itself and lends its parts. */
export interface ShellInternals {
  readonly connection: HeldConnection;
  /** QueueBase's emitError (protected there). */
  emitError(err: unknown): void;
  readonly tracing: WorkerTracing | undefined;
  /** Runs the worker's processor on a job. */
  process(job: Job, token: string, signal: AbortSignal | undefined): unknown;
  /** The processor can see its third argument (processor-arity.ts). */
  readonly takesSignal: boolean;
  /** The processor as given, for processJob (undefined: none). */
  readonly processor: HandProcessing['processor'];
  /** The fetch loop is about to fetch for the first time since it (re)started. */
  loopStarted(): void;
  /** run() was called (getNextJob is then refused). */
  isStarted(): boolean;
}

export interface WorkerParts {
  readonly state: WorkerState;
  readonly slots: Slots;
  readonly reporter: WorkerReporter;
  readonly blocking: BlockingConnection;
  readonly fetchLoop: FetchLoop;
  readonly heldMoves: HeldJobMoves;
  readonly locks: LockKeeper;
  readonly stalled: StalledChecker;
  /** Takes back, after a reconnect, the jobs of fetch replies that were lost (reclaim.ts). */
  readonly reclaim: Reclaimer;
  /** Aborted by close(): ends the waits of the loop and of getNextJob at once. */
  readonly wakeOnClose: AbortController;
  /** What getNextJob uses (manual.ts). */
  readonly manual: ManualAccess;
  /** What processJob uses (process-job.ts). */
  readonly hand: HandProcessing;
}

/**
 * Makes the Worker's parts and wires them together. Who talks to whom: the fetch loop takes jobs
 * and hands them to the runner; the runner processes them and stores their outcomes through the
 * finish batcher (which fetches the next jobs for the loop to start) or the held-job moves; the
 * lock keeper and the stalled checker run on their own timers; all of them count slots in Slots.
 */
export function assembleParts(shell: WorkerShell, internals: ShellInternals): WorkerParts {
  const { connection } = internals;
  const wakeOnClose = new AbortController();
  const { opts } = shell;
  const emitError = (err: unknown) => internals.emitError(err);
  let moveSettings: MoveSettings | undefined;
  const context: WorkerContext = {
    connection,
    keys: shell.keys,
    opts,
    state: new WorkerState(shell),
    slots: new Slots(() => opts.concurrency),
    reporter: new WorkerReporter(shell, emitError),
    fetches: new FetchesInFlight(),
    // read from the options on first use
    moves: () => (moveSettings ??= moveSettingsOf(shell)),
    delay: (ms, abort) => shell.delay(ms, abort),
  };
  const sleep = (ms: number) => shell.delay(ms, wakeOnClose);
  const blocking = new BlockingConnection({
    ...context,
    commandClient: () => shell.client,
    clientName: () => blockingClientName(shell.prefix, shell.name, opts.name),
    sleep,
  });
  const heldMoves = new HeldJobMoves(context);
  const fetchLoop: FetchLoop = new FetchLoop({
    ...context,
    jobHost: shell,
    workerId: shell.id,
    blocking,
    sleep,
    started: () => internals.loopStarted(),
    start: (job) => runner.start(job),
    handBackAll: (jobs) => heldMoves.handBackAll(jobs),
  });
  const batcher = new FinishBatcher({
    ...context,
    next: fetchLoop,
    retryPause: (err, attempt, since) => heldMoves.retryPause(err, attempt, since),
    handBackAll: (jobs) => heldMoves.handBackAll(jobs),
  });
  const runner = new JobRunner({
    ...context,
    process: internals.process,
    takesSignal: internals.takesSignal,
    tracing: internals.tracing,
    scheduleNext: (job) => scheduleNextIteration(shell, job, emitError),
    batcher,
    heldMoves,
    rateLimited: (ms) => fetchLoop.limitFor(ms),
  });
  const locks = new LockKeeper({ ...context, renewLocks: () => shell.renewLocks() });
  const stalled = new StalledChecker({
    ...context,
    checkStalled: () => shell.checkStalled(),
    moveStalledJobsToWait: () => shell.moveStalledJobsToWait(),
  });
  const reclaim = new Reclaimer({ ...context, workerId: shell.id });
  context.fetches.onUnreadReply = () => reclaim.request(true);
  const { state, slots, reporter } = context;
  const notify = (event: string, ...args: unknown[]) => reporter.notify(event, ...args);
  const manual: ManualAccess = {
    worker: shell,
    isClosing: () => state.closing,
    isPaused: () => state.paused,
    isRunning: () => internals.isStarted(),
    fetch: (token) => fetchLoop.fetch(1, token),
    connectBlocking: () => blocking.ensure(),
    waitForJobs: (deadline, nextDelayed) => fetchLoop.waitForJobs(deadline, nextDelayed),
    sleep,
    notify,
  };
  const hand: HandProcessing = {
    host: shell,
    processor: internals.processor,
    get maxStartedAttempts() {
      return opts.maxStartedAttempts;
    },
    tracing: internals.tracing,
    notify,
    emitError,
    isStopping: () => state.closing || state.paused,
    rateLimited: (ms) => fetchLoop.limitFor(ms),
  };
  return { state, slots, reporter, blocking, fetchLoop, heldMoves, locks, stalled, reclaim, wakeOnClose, manual, hand };
}
