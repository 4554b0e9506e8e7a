/**
 * What the Worker's parts (worker/*.ts) share. Each part takes the slice of the context it uses
 * (Pick<WorkerContext, ...>) plus callbacks of its own, so its dependencies show in its type and a
 * test can drive it with no Worker around it.
 */
import type { HeldConnection } from '../connection/connection.js';
import type { QueueKeys } from '../core/keys.js';
import type { MoveSettings } from '../job/move-settings.js';
import type { ResolvedWorkerOptions } from './options.js';
import type { FetchesInFlight } from './reclaim.js';
import type { WorkerReporter } from './reporter.js';
import type { Slots } from './slots.js';

/** Where the worker is in its life. */
export class WorkerState {
  /** pause() was called, and no resume() since. */
  paused = false;
  /** A forced close let go of the jobs in hand: moves in retry give up instead of trying again. */
  forceClosing = false;

  constructor(private readonly worker: { readonly closing: Promise<void> | undefined }) {}

  /** close() began (QueueBase's `closing` is set, synchronously, by the first close()). */
  get closing(): boolean {
    return this.worker.closing !== undefined;
  }
}

export interface WorkerContext {
  /** The command connection; its `client` is read at each call. */
  readonly connection: HeldConnection;
  readonly keys: QueueKeys;
  /** The worker's options (the same object: `concurrency` changes at run time). */
  readonly opts: ResolvedWorkerOptions;
  readonly state: WorkerState;
  readonly slots: Slots;
  readonly reporter: WorkerReporter;
  /** The fetches in flight: each fetch call is counted there (reclaim.ts). */
  readonly fetches: FetchesInFlight;
  /** Lock duration, limiter, name, retention and retry settings, as the move scripts take them. */
  moves(): MoveSettings;
  /**
   * worker.delay(): every timed wait of the worker goes through the instance's method, so a test
   * that stubs it (as BullMQ's tests do under a fake clock) sees them all.
   */
  delay(ms: number, abort?: AbortController): Promise<void>;
}
