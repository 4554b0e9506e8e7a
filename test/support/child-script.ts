// A Node script in a child process (a worker of either engine, say) that prints one JSON object
// per line on stdout; the test awaits its messages by type and kills it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { within } from './wait.js';

export type ChildMessage = Record<string, unknown>;

export class ChildScript {
  private readonly child: ChildProcess;
  private readonly messages: ChildMessage[] = [];
  private readonly waiters: { type: string; resolve: (m: ChildMessage) => void }[] = [];
  private stderr = '';

  /** Runs `file` with plain Node (no Jest flags) and `env` on top of this process's environment. */
  constructor(file: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [file], {
      env: { ...process.env, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.receive(line));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private receive(line: string): void {
    let message: ChildMessage;
    try {
      message = JSON.parse(line) as ChildMessage;
    } catch {
      return;
    }
    this.messages.push(message);
    for (const waiter of [...this.waiters]) {
      if (waiter.type === message.type) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  }

  /** Every message of `type` received so far, oldest first. */
  received<T = ChildMessage>(type: string): T[] {
    return this.messages.filter((m) => m.type === type) as T[];
  }

  /** The first message of `type`, already received or still to come. */
  message(type: string, timeoutMs = 10000): Promise<ChildMessage> {
    const seen = this.messages.find((m) => m.type === type);
    if (seen) return Promise.resolve(seen);
    const waiting = new Promise<ChildMessage>((resolve) => this.waiters.push({ type, resolve }));
    return within(waiting, timeoutMs, `message "${type}" from child ${this.pid} (stderr: ${this.stderr.slice(-2000)})`);
  }

  /** SIGKILL by pid, and wait until the process is gone (no-op once it exited). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.kill();
  }
}
