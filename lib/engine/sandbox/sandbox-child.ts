import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { Job } from '../job/job.js';
import { CHILD_ENTRY, type ProcessorFile } from './processor-file.js';
import {
  crashedError,
  exitedError,
  exitedWhileLoadingError,
  loadError,
  SandboxedProcessorError,
  type ChildExit,
} from './sandbox-errors.js';
import type { SandboxOptions } from './sandbox-options.js';
import { plainJob, proxiedMethods } from './sandboxed-job.js';
import { fromWire, toWire, type WireThrown } from './wire.js';

/** Messages from child-entry.mjs. */
type FromChild =
  | { t: 'ready' }
  | { t: 'init-failed'; error: WireThrown; typescript?: boolean; exportError?: boolean }
  | { t: 'call'; run: number; call: number; method: string; args: unknown[] }
  | { t: 'done'; run: number; ok: true; json: string; unstorable?: undefined }
  | { t: 'done'; run: number; ok: true; unstorable: string }
  | { t: 'done'; run: number; ok: false; error: WireThrown }
  | { t: 'crash'; error: WireThrown };

/** A child process or a worker thread, seen the same way. */
interface Channel {
  pid: number | undefined;
  threadId: number | undefined;
  /** Throws when the message cannot be copied (e.g. a function in a job method's result). */
  send(msg: object): void;
  /** Asks the child to end; `force` when it did not. */
  stop(force: boolean): void;
}

/** A job the child is processing. */
interface Run {
  id: number;
  job: Job;
  methods: Set<string>;
  settle(outcome: { value: unknown } | { thrown: unknown }): void;
}

/** How long a child may take to end after SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 2000;

/**
 * One child process (or worker thread) that loads the processor file once and then processes jobs
 * one at a time, for as long as it stays healthy.
 */
export class SandboxChild {
  /** Resolves once the processor file is loaded; rejects when it cannot be (the child is then done). */
  readonly ready: Promise<void>;
  /** Resolves when the child has ended, whatever the reason. */
  readonly exited: Promise<ChildExit>;
  private readonly channel: Channel;
  private loaded = false;
  private loadFailed: ((err: Error) => void) | undefined;
  private loadSucceeded: (() => void) | undefined;
  private exit: ChildExit | undefined;
  /** It crashed or could not load: it gets no more jobs. */
  private broken = false;
  private stopping = false;
  private run: Run | undefined;
  private lastRun = 0;
  /** What a worker thread reported before it ended (out of memory, an error Node caught). */
  private threadError: Error | undefined;

  constructor(
    private readonly file: ProcessorFile,
    options: SandboxOptions,
    private readonly hooks: { onExit(child: SandboxChild): void; onError(err: Error): void },
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.loadSucceeded = resolve;
      this.loadFailed = reject;
    });
    // nobody may be waiting when a spare child fails to load; the job that uses it sees it anyway
    this.ready.catch(() => {});
    let ended!: (exit: ChildExit) => void;
    this.exited = new Promise((resolve) => (ended = resolve));
    const onEnd = (code: number | null, signal: string | null) => {
      if (this.exit) return;
      this.exit = { code, signal, error: this.threadError, stopped: this.stopping };
      this.onEnd(this.exit);
      ended(this.exit);
    };
    this.channel = options.useWorkerThreads ? this.startThread(options, onEnd) : this.startProcess(options, onEnd);
    this.post({ t: 'init', file: file.url });
  }

  /** The child process's pid (a worker thread has none of its own). */
  get pid(): number | undefined {
    return this.channel.pid;
  }

  get threadId(): number | undefined {
    return this.channel.threadId;
  }

  /** Loaded, alive and not crashed: it may take another job. */
  get usable(): boolean {
    return this.loaded && !this.broken && !this.stopping && !this.exit;
  }

  /** Runs one job in the child; resolves with its result, rejects with what it threw or why it died. */
  process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.exit || !this.usable) {
        reject(new SandboxedProcessorError(`sandboxed processor ${this.file.path} is no longer running; job ${job.id} was not started`));
        return;
      }
      this.lastRun += 1;
      const id = this.lastRun;
      // the worker aborts on a lost lock or a forced close: the processor's own signal says so
      const onAbort = () => this.post({ t: 'abort', run: id, reason: toWire(signal!.reason) });
      const methods = proxiedMethods(job);
      this.run = {
        id,
        job,
        methods: new Set(methods),
        settle: (outcome) => {
          if (this.run?.id !== id) return;
          this.run = undefined;
          signal?.removeEventListener('abort', onAbort);
          if ('value' in outcome) resolve(outcome.value);
          else reject(outcome.thrown);
        },
      };
      try {
        this.channel.send({ t: 'run', run: id, job: plainJob(job), token, methods });
      } catch (err) {
        this.run.settle({ thrown: err });
        return;
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the child (SIGTERM, then SIGKILL if it lingers; a thread is terminated) and waits for it. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.stopping = true;
    this.channel.stop(false);
    const timer = setTimeout(() => this.channel.stop(true), STOP_GRACE_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  // ------------------------------------------------------------------------------ messages

  private onMessage(msg: FromChild): void {
    switch (msg.t) {
      case 'ready':
        this.loaded = true;
        this.loadSucceeded?.();
        break;
      case 'init-failed':
        this.broken = true;
        this.loadFailed?.(
          msg.exportError && msg.error.kind === 'error'
            ? new SandboxedProcessorError(msg.error.message)
            : loadError(this.file.path, msg.error, msg.typescript === true),
        );
        void this.stop();
        break;
      case 'call':
        void this.answer(msg);
        break;
      case 'done':
        if (this.run?.id !== msg.run) break;
        if (msg.ok && msg.unstorable !== undefined) this.run.settle({ value: unstorable(msg.unstorable) });
        else if (msg.ok) this.run.settle({ value: JSON.parse(msg.json) });
        else this.run.settle({ thrown: fromWire(msg.error) });
        break;
      case 'crash':
        // the child exits right after this message; the details are here, not in the exit code
        this.broken = true;
        if (this.run) this.run.settle({ thrown: crashedError(this.run.job.id, msg.error) });
        else this.hooks.onError(crashedBetweenJobs(this.file.path, msg.error));
        void this.stop();
        break;
    }
  }

  /** Runs a job method the processor called, on the worker's Job, and sends the outcome back. */
  private async answer(msg: Extract<FromChild, { t: 'call' }>): Promise<void> {
    const run = this.run;
    let reply: object;
    if (!run || run.id !== msg.run) {
      const error = new Error(`job.${msg.method}() was called after its job had finished in the sandboxed processor`);
      reply = { t: 'reply', call: msg.call, ok: false, error: toWire(error) };
    } else if (!run.methods.has(msg.method)) {
      reply = {
        t: 'reply',
        call: msg.call,
        ok: false,
        error: toWire(new TypeError(`job.${msg.method}() is not available to a sandboxed processor`)),
      };
    } else {
      try {
        const method = (run.job as unknown as Record<string, (...args: unknown[]) => unknown>)[msg.method];
        const value = await method.apply(run.job, msg.args);
        reply = { t: 'reply', call: msg.call, ok: true, value };
      } catch (err) {
        reply = { t: 'reply', call: msg.call, ok: false, error: toWire(err) };
      }
    }
    try {
      this.channel.send(reply);
    } catch (err) {
      this.post({ t: 'reply', call: msg.call, ok: false, error: toWire(err) });
    }
  }

  /** Sends when the child can still hear it; a child that is gone is handled by its exit. */
  private post(msg: object): void {
    if (this.exit) return;
    try {
      this.channel.send(msg);
    } catch (err) {
      this.hooks.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onEnd(exit: ChildExit): void {
    if (!this.loaded) this.loadFailed?.(exitedWhileLoadingError(this.file.path, exit));
    this.run?.settle({ thrown: exitedError(this.run.job.id, exit) });
    this.hooks.onExit(this);
  }

  // ------------------------------------------------------------------------------ starting

  private startProcess(options: SandboxOptions, onEnd: (code: number | null, signal: string | null) => void): Channel {
    // structured clone, as worker threads use: the same values cross in both modes
    const child = fork(fileURLToPath(CHILD_ENTRY), [], { serialization: 'advanced', ...options.workerForkOptions });
    child.on('message', (msg) => this.onMessage(msg as FromChild));
    // 'close' comes after the last message of a child that reported a crash and then exited
    child.on('close', (code, signal) => onEnd(code, signal));
    child.on('error', (err) => {
      // the process could not be started: there will be no exit to wait for
      if (child.pid === undefined) {
        this.threadError = err;
        onEnd(null, null);
      }
    });
    return {
      pid: child.pid,
      threadId: undefined,
      send: (msg) => {
        if (child.connected) child.send(msg, () => {});
      },
      stop: (force) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(force ? 'SIGKILL' : 'SIGTERM');
      },
    };
  }

  private startThread(options: SandboxOptions, onEnd: (code: number | null, signal: string | null) => void): Channel {
    const thread = new Thread(CHILD_ENTRY, options.workerThreadsOptions);
    thread.on('message', (msg) => this.onMessage(msg as FromChild));
    thread.on('error', (err) => (this.threadError = err));
    thread.on('exit', (code) => onEnd(code, null));
    return {
      pid: undefined,
      threadId: thread.threadId,
      send: (msg) => thread.postMessage(msg),
      stop: () => void thread.terminate(),
    };
  }
}

function crashedBetweenJobs(path: string, thrown: WireThrown): SandboxedProcessorError {
  const message = thrown.kind === 'error' ? thrown.message : String(thrown.value);
  return new SandboxedProcessorError(
    `sandboxed processor ${path} crashed between jobs: ${message}`,
    thrown.kind === 'error' ? thrown.stack : undefined,
  );
}

/**
 * Stands for a return value the child could not turn into JSON: it fails the same way when the
 * worker stores it, so the job fails as an in-process one would.
 */
function unstorable(why: string): unknown {
  return {
    toJSON() {
      throw new TypeError(why);
    },
  };
}
