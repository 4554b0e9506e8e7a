// @ts-check
// A redis-server of our own, for the tests, the chaos suite, the benchmark and the sample: from
// the PATH, on a free loopback port, in a directory of its own, with the settings a caller asks
// for (ACL file, TLS, AOF, an eviction policy...). It can be stopped, killed, frozen and started
// again on the same port and directory. Plain JavaScript, so bench/, test/chaos/ and scripts/ use
// it without TypeScript; the TypeScript tests import it too (redis-server.d.mts).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const READY_LINE = /Ready to accept connections/;
const PORT_TAKEN = /Address already in use/;
const LOG_TAIL = 64 * 1024;

/**
 * A loopback port nothing listens on right now (the kernel's choice, released at once).
 * @returns {Promise<number>}
 */
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

/**
 * True when something at `url` answers PING with PONG (or NOAUTH: it is Redis, wanting a login)
 * within `timeoutMs`. A bare socket: a client library would leave reconnect timers behind.
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
export function redisAnswers(url, timeoutMs = 1000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (/** @type {boolean} */ ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (buf) => done(/^(\+PONG|-NOAUTH)/.test(buf.toString())));
  });
}

/**
 * One sentence naming what is missing when `redis-server` is not on the PATH, else undefined.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | undefined}
 */
export function missingRedisServer(env = process.env) {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore', env }).status === 0) return undefined;
  return 'redis-server is not on the PATH: install Redis >= 6.2 (e.g. `apt-get install redis-server`)';
}

/**
 * @typedef {object} RedisServerOptions
 * @property {number} [port]  a fixed port; by default a free one, chosen at the first start
 * @property {string} [dir]  its working directory (made if missing, kept); by default a temporary
 *   one, removed by close()
 * @property {string[] | ((dir: string) => string[])} [args]  more redis-server arguments (they may
 *   name files in `dir`, made before they are asked for)
 * @property {boolean} [tls]  serve TLS on the port (pass the certificate arguments in `args`); no plain port
 * @property {boolean} [aof]  append-only file fsynced on every write, so a restart keeps what was acknowledged
 * @property {boolean} [detached]  a process group of its own (a Ctrl+C in the terminal does not reach it)
 * @property {boolean} [killOnExit]  SIGKILL it when this process exits without having stopped it
 * @property {(pid: number, alive: boolean) => void} [onPid]  told of every process started and ended
 * @property {number} [readyTimeoutMs]  how long a start may take
 */

export class RedisServer {
  /**
   * Starts a server; resolves once it says it accepts connections.
   * @param {RedisServerOptions} [options]
   */
  static async start(options = {}) {
    const server = new RedisServer(options);
    await server.start();
    return server;
  }

  /** @param {RedisServerOptions} [options] */
  constructor(options = {}) {
    this.options = options;
    /** @type {number} */
    this.port = options.port ?? 0;
    this.ownDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'conveyor-redis-'));
    mkdirSync(this.dir, { recursive: true });
    /** @type {import('node:child_process').ChildProcess | undefined} */
    this.child = undefined;
    /** What the server printed last (its log), for error messages. */
    this.log = '';
    this.frozen = false;
    this.killOnExit = () => this.child?.kill('SIGKILL');
  }

  /** `redis://` (or `rediss://` with tls) on 127.0.0.1 and the port. */
  get url() {
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.child?.pid;
  }

  get running() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts redis-server (again, on the same port and directory, after a stop or a kill); resolves
   * once it logs that it accepts connections, rejects with its log if it exits or stays silent.
   * A free port taken by someone else before the server could bind it is replaced by another.
   */
  async start() {
    if (this.running) throw new Error(`redis-server on port ${this.port} is already running (pid ${this.pid})`);
    const choosePort = this.port === 0;
    for (let attempt = 1; ; attempt++) {
      if (choosePort) this.port = await freePort();
      try {
        await this.spawnAndWait();
        return;
      } catch (err) {
        if (!(choosePort && attempt < 3 && PORT_TAKEN.test(this.log))) {
          if (choosePort) this.port = 0;
          throw err;
        }
      }
    }
  }

  /** @private */
  spawnAndWait() {
    const { tls = false, aof = false, args = [], detached = false, onPid, readyTimeoutMs = 10_000 } = this.options;
    const portArgs = tls ? ['--port', '0', '--tls-port', String(this.port)] : ['--port', String(this.port)];
    const persistence = aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const extra = typeof args === 'function' ? args(this.dir) : args;
    const child = spawn('redis-server', [...portArgs, '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.dir, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached,
    });
    this.child = child;
    this.frozen = false;
    this.log = '';
    if (child.pid && onPid) onPid(child.pid, true);
    child.once('exit', () => child.pid && onPid?.(child.pid, false));
    if (this.options.killOnExit) process.once('exit', this.killOnExit);
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (/** @type {string | undefined} */ failure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failure === undefined) return resolve(undefined);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        process.off('exit', this.killOnExit);
        reject(new Error(`${failure}; its output:\n${this.log.slice(-2000)}`));
      };
      const timer = setTimeout(
        () => finish(`redis-server on port ${this.port} did not report ready within ${readyTimeoutMs} ms`),
        readyTimeoutMs,
      );
      // read its output for as long as it runs: a full pipe would block it
      const onData = (/** @type {Buffer} */ chunk) => {
        this.log = (this.log + chunk.toString()).slice(-LOG_TAIL);
        if (READY_LINE.test(this.log)) finish(undefined);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => finish(`redis-server on port ${this.port} exited (${code ?? signal}) before it was ready`));
      child.once('error', (err) => finish(`could not start redis-server (${err.message}); ${missingRedisServer() ?? 'is it executable?'}`));
    });
  }

  /**
   * Ends the process with `signal` and waits until it is gone (at once if it is not running).
   * @param {NodeJS.Signals} signal
   * @param {number} [killAfterMs]  SIGKILL if it is still there after this long
   */
  async end(signal, killAfterMs = 5000) {
    const child = this.child;
    if (!child || !this.running) return;
    process.off('exit', this.killOnExit);
    if (this.frozen) this.thaw();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  }

  /** A graceful stop (SIGTERM: Redis says goodbye to its clients), SIGKILL if it lingers. */
  stop(timeoutMs = 5000) {
    return this.end('SIGTERM', timeoutMs);
  }

  /** kill -9: no goodbye to clients, no final write beyond what `aof` already fsynced. */
  kill() {
    return this.end('SIGKILL');
  }

  /** SIGSTOP: the server keeps its connections but answers nothing until thaw(). */
  freeze() {
    if (!this.running || !this.child?.pid) throw new Error(`redis-server on port ${this.port} is not running`);
    process.kill(this.child.pid, 'SIGSTOP');
    this.frozen = true;
  }

  /** SIGCONT after freeze(). */
  thaw() {
    if (this.running && this.child?.pid && this.frozen) process.kill(this.child.pid, 'SIGCONT');
    this.frozen = false;
  }

  /** Kills the server and removes its directory if it made it. */
  async close() {
    await this.kill();
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
