// A redis-server of the chaos suite's own: from the PATH, on a free loopback port, in its own
// directory, with AOF fsynced on every write. It can be killed (-9), frozen (SIGSTOP) and started
// again on the same port and directory, so what it acknowledged must come back.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';

/** A port nothing listens on right now (the kernel's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const READY_LINE = /Ready to accept connections/;

export class RedisServer {
  /** @param {{ dir: string, port: number, onPid?: (pid: number, alive: boolean) => void }} opts */
  constructor({ dir, port, onPid }) {
    this.dir = dir;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.onPid = onPid ?? (() => {});
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    this.output = '';
    this.frozen = false;
  }

  static async start(dir, onPid) {
    mkdirSync(dir, { recursive: true });
    const server = new RedisServer({ dir, port: await freePort(), onPid });
    await server.start();
    return server;
  }

  get pid() {
    return this.child?.pid;
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts (or starts again, on the same port and dir); resolves once Redis says it is ready. */
  async start(timeoutMs = 20_000) {
    if (this.running) throw new Error(`redis-server on port ${this.port} is already running (pid ${this.pid})`);
    const child = spawn(
      'redis-server',
      [
        '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
        '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
        '--maxmemory-policy', 'noeviction', '--protected-mode', 'no', '--loglevel', 'notice',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.frozen = false;
    if (child.pid) this.onPid(child.pid, true);
    child.once('exit', () => child.pid && this.onPid(child.pid, false));
    await new Promise((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => finish(new Error(`redis-server on port ${this.port} not ready within ${timeoutMs} ms: ${seen.slice(-500)}`)), timeoutMs);
      const onData = (chunk) => {
        seen += chunk.toString();
        this.output = (this.output + chunk.toString()).slice(-4000);
        if (READY_LINE.test(seen)) finish();
      };
      const onExit = (code, signal) => finish(new Error(`redis-server on port ${this.port} exited (${code ?? signal}) before it was ready: ${seen.slice(-500)}`));
      const onError = (err) => finish(new Error(`could not start redis-server: ${err.message}`));
      const finish = (err) => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        // keep draining its output so a full pipe never blocks it
        child.stdout.on('data', (c) => (this.output = (this.output + c.toString()).slice(-4000)));
        if (err) reject(err);
        else resolve(undefined);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  }

  /** kill -9: no shutdown, no final fsync beyond what `appendfsync always` already did. */
  async kill9() {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (this.frozen) process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, 'SIGKILL');
    await exited;
    this.frozen = false;
  }

  freeze() {
    if (!this.running) throw new Error('redis-server is not running');
    process.kill(this.child.pid, 'SIGSTOP');
    this.frozen = true;
  }

  thaw() {
    if (!this.running) return;
    process.kill(this.child.pid, 'SIGCONT');
    this.frozen = false;
  }

  /** Graceful stop by pid (SIGTERM), SIGKILL if it does not go within `timeoutMs`. */
  async stop(timeoutMs = 10_000) {
    const child = this.child;
    if (!child || !this.running) return;
    if (this.frozen) this.thaw();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => this.running && process.kill(child.pid, 'SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** An admin client for the runner: CLIENT KILL, CONFIG, and the checker's reads. */
  adminClient() {
    return new Redis(this.url, {
      connectionName: 'chaos-admin',
      maxRetriesPerRequest: null,
      retryStrategy: () => 50,
      enableAutoPipelining: false,
    });
  }
}
