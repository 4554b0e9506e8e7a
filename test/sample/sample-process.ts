import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_URL } from '../support/redis.js';
import { until } from '../support/wait.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** What `npm run sample` needs from the checkout (the rest of it plays no part). */
const SAMPLE_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  '.gitignore',
  'lib',
  'lua',
  'scripts',
  'sample/src',
  'sample/tsconfig.json',
];

/**
 * A copy of the checkout's sample, build files and scripts in a temp folder, committed to a git
 * repository of its own (to see what a run leaves behind), with node_modules linked to ours.
 * Its own folder because `npm run sample` rebuilds dist/, which suites running beside use.
 */
export function copyCheckout(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-sample-'));
  for (const file of SAMPLE_FILES) cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  symlinkSync(realpathSync(path.join(root, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'copy');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `git status --porcelain` of a copy: empty when a run left the working tree as it was. */
export function workingTreeChanges(dir: string): string {
  return execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A process of the sample (or npm running it), with everything it printed. */
export class SampleProcess {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first match of `pattern` in the output, waiting for it up to `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    const found = () => this.output.match(pattern);
    try {
      await until(`output matching ${pattern}`, () => found() !== null || exited, Boolean, timeoutMs);
    } catch {
      throw new Error(`no output matching ${pattern} within ${timeoutMs} ms; output:\n${this.output}`);
    }
    const match = found();
    if (!match) throw new Error(`exited before ${pattern}; output:\n${this.output}`);
    return match;
  }

  /** Resolves with how the process ended, or rejects after `timeoutMs` (the process left running). */
  async exit(timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running ${timeoutMs} ms later; output:\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The environment the sample runs with in tests: the test Redis, no colours, no Jest flags. */
export function sampleEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_URL, NO_COLOR: '1', NODE_OPTIONS: '', DEMO_JOBS: 'false', ...extra };
}

/** `npm run sample -- ...args` in `dir`, as a person or a process manager starts it. */
export function npmRunSample(dir: string, args: string[], env: NodeJS.ProcessEnv): SampleProcess {
  return new SampleProcess(spawn('npm', ['run', 'sample', ...(args.length ? ['--', ...args] : [])], { cwd: dir, env }));
}

/** The built sample started as `npm run sample` starts it once built (no rebuild). */
export function runBuiltSample(dir: string, args: string[], env: NodeJS.ProcessEnv): SampleProcess {
  return new SampleProcess(spawn(process.execPath, ['scripts/run-sample.mjs', ...args], { cwd: dir, env }));
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process with this pid is gone; false when it still runs after `timeoutMs`. */
export async function gone(pid: number, timeoutMs = 20_000): Promise<boolean> {
  return until(`process ${pid} to be gone`, () => !alive(pid), Boolean, timeoutMs).catch(() => false);
}

/**
 * Builds the package and the sample in `dir`, as `npm run sample` does before it starts it,
 * unless a run of `npm run sample` there built them already.
 */
export function buildSample(dir: string): void {
  if (existsSync(path.join(dir, 'sample/dist/main.js')) && existsSync(path.join(dir, 'dist/index.js'))) return;
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'ignore', env: sampleEnv({}) });
  execFileSync(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'sample/tsconfig.json'], {
    cwd: dir,
    stdio: 'ignore',
  });
}
