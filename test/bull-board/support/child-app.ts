import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * An app in a child process of its own (plain Node, no Jest): it prints `{ "type": "listening",
 * "url": ... }` on stdout once it serves, and stops on SIGTERM.
 */
export class ChildApp {
  private readonly child: ChildProcess;
  private stderr = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly url: Promise<string>;

  constructor(file: string, env: Record<string, string>, timeoutMs = 20_000) {
    this.child = spawn(process.execPath, [file], { env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exit = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.url = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${file} did not listen within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)),
        timeoutMs,
      );
      void this.exit.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`${file} exited (${code}) before it listened; stderr: ${this.stderr.slice(-2000)}`));
      });
      createInterface({ input: this.child.stdout! }).on('line', (line) => {
        try {
          const message = JSON.parse(line) as { type?: string; url?: string };
          if (message.type !== 'listening') return;
          clearTimeout(timer);
          resolve(message.url!);
        } catch {
          // not one of the app's JSON lines
        }
      });
    });
    // a failed start rejects `url`; whoever awaits it reports that
    this.url.catch(() => undefined);
  }

  /** SIGTERM, and what the process ended with (its shutdown hooks ran if `code` is 0). */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return { ...(await this.exit), stderr: this.stderr };
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
