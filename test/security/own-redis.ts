// A redis-server of a suite's own (ACL users, TLS, an eviction policy: settings the shared Redis
// of the other suites must not get), on a free loopback port, in a throwaway directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../fixtures/worker-harness.js';

export class OwnRedis {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {}

  /**
   * Starts redis-server with `args` (paths in them may point into `dir`, made first and passed to
   * `argsFor`). `tls` puts the port on --tls-port and turns the plain one off. Resolves once the
   * server logs that it accepts connections; rejects with its log if it exits or stays silent.
   */
  static async start(argsFor: (dir: string) => string[] = () => [], { tls = false } = {}): Promise<OwnRedis> {
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error('redis-server is not on the PATH: install Redis >= 7 (e.g. `apt-get install redis-server`) to run this suite');
    }
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-security-'));
    const portArgs = tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
    const child = spawn(
      'redis-server',
      [...portArgs, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...argsFor(dir)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new OwnRedis(child, port, dir);
    await server.ready();
    return server;
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (failure?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failure === undefined) return resolve();
        this.child.kill('SIGKILL');
        rmSync(this.dir, { recursive: true, force: true });
        reject(new Error(`${failure}; its output:\n${this.output}`));
      };
      const timer = setTimeout(() => settle(`redis-server on port ${this.port} did not report ready within 10 s`), 10_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Ready to accept connections')) settle();
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      this.child.once('exit', (code) => settle(`redis-server on port ${this.port} exited with code ${code}`));
      this.child.once('error', (err) => settle(`redis-server could not be started: ${err.message}`));
    });
  }

  /** What the server logged so far. */
  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
