import type { WireThrown } from './wire.js';

/** Why a sandboxed job failed when its processor never answered: a crash, a load failure. */
export class SandboxedProcessorError extends Error {
  constructor(message: string, stack?: string) {
    super(message);
    this.name = 'SandboxedProcessorError';
    // the engine's own stack says nothing about the user's code: keep the child's, or none
    if (stack === undefined) delete (this as { stack?: string }).stack;
    else this.stack = stack;
  }
}

/** How a child ended: an exit code or a signal, and for threads the error Node reported. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
  error?: Error;
  /** We ended it (close, abort while loading), so the job's failure is not the processor's. */
  stopped: boolean;
}

export function crashedError(jobId: string | undefined, thrown: WireThrown): SandboxedProcessorError {
  const message = thrown.kind === 'error' ? thrown.message : String(thrown.value);
  return new SandboxedProcessorError(
    `sandboxed processor crashed while processing job ${jobId}: ${message}`,
    thrown.kind === 'error' ? thrown.stack : undefined,
  );
}

export function exitedError(jobId: string | undefined, exit: ChildExit): SandboxedProcessorError {
  return new SandboxedProcessorError(`sandboxed processor ${describeExit(exit)} while processing job ${jobId}`);
}

export function exitedWhileLoadingError(path: string, exit: ChildExit): SandboxedProcessorError {
  return new SandboxedProcessorError(`sandboxed processor ${path} ${describeExit(exit)} while loading`);
}

export function loadError(path: string, thrown: WireThrown, typescript: boolean): SandboxedProcessorError {
  const message = thrown.kind === 'error' ? thrown.message : String(thrown.value);
  const hint = typescript ? ' (TypeScript processor files must be compiled first: pass the compiled .js, .mjs or .cjs file)' : '';
  return new SandboxedProcessorError(
    `sandboxed processor ${path} could not be loaded: ${message}${hint}`,
    thrown.kind === 'error' ? thrown.stack : undefined,
  );
}

function describeExit(exit: ChildExit): string {
  if (exit.stopped) return 'was stopped by the worker';
  if (exit.error && (exit.error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return `ran out of memory (${exit.error.message})`;
  }
  if (exit.error) return `crashed (${exit.error.message})`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}
