import type { Job } from '../job/job.js';
import { resolveProcessorFile, type ProcessorFile } from './processor-file.js';
import { SandboxChild } from './sandbox-child.js';
import type { SandboxOptions } from './sandbox-options.js';

export { isProcessorFile } from './processor-file.js';

/**
 * A processor given as a file, run in child processes (or worker threads): a pool with at most one
 * idle child per concurrency slot, each reused across jobs while it stays healthy. A child that
 * crashed, could not load the file, or was stopped is replaced by a fresh one for the next job.
 */
export class Sandbox {
  readonly file: ProcessorFile;
  /** Told about trouble outside any job (a child that crashed between jobs). */
  onError: (err: Error) => void = () => {};
  private readonly idle: SandboxChild[] = [];
  private readonly children = new Set<SandboxChild>();
  private closed = false;

  /**
   * `opts` is the worker's own options object: its concurrency may change while the worker runs,
   * and the pool follows.
   */
  constructor(
    processor: string | URL,
    private readonly opts: SandboxOptions & { concurrency: number },
  ) {
    this.file = resolveProcessorFile(processor);
  }

  /** The worker's processor: runs the job in a pooled child. */
  readonly process = async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    if (this.closed) throw new Error(`the sandboxed processor ${this.file.path} is closed; job ${job.id} was not started`);
    const child = this.take();
    try {
      await untilAborted(child.ready, signal, () => void child.stop());
      return await child.process(job, token, signal);
    } finally {
      this.giveBack(child);
    }
  };

  /** Ends every child, busy or idle, and waits until they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.children].map((child) => child.stop()));
  }

  /** The child processes alive now (worker threads have no pid of their own). */
  get pids(): number[] {
    return [...this.children].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** How many children (processes or threads) are alive now. */
  get size(): number {
    return this.children.size;
  }

  private take(): SandboxChild {
    for (let child = this.idle.pop(); child; child = this.idle.pop()) {
      if (child.usable) return child;
    }
    const child = new SandboxChild(this.file, this.opts, {
      onExit: (gone) => this.forget(gone),
      onError: (err) => this.onError(err),
    });
    this.children.add(child);
    return child;
  }

  private giveBack(child: SandboxChild): void {
    if (child.usable && !this.closed && this.idle.length < this.opts.concurrency) this.idle.push(child);
    else void child.stop();
  }

  private forget(child: SandboxChild): void {
    this.children.delete(child);
    const at = this.idle.indexOf(child);
    if (at >= 0) this.idle.splice(at, 1);
  }
}

/** `promise`, unless `signal` aborts first: then `onAbort` runs and this rejects with the reason. */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason);
    };
    if (signal.aborted) {
      abort();
      return;
    }
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', abort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err);
      },
    );
  });
}
