// Child processes of the chaos suite (producers and workers): started with their options in the
// environment, heard through one JSON object per stdout line, signalled and stopped by pid only.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

/** Every child still alive, by pid: the runner stops each of them, whatever happens. */
const alive = new Map();
/** Other processes the suite started (redis-server), killed by pid on exit too. */
const others = new Set();

/** Registers (or, with `running` false, forgets) a process to kill by pid if the runner exits. */
export function trackPid(pid, running) {
  if (running) others.add(pid);
  else others.delete(pid);
}

process.once('exit', () => {
  for (const pid of [...alive.keys(), ...others]) {
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export class Child extends EventEmitter {
  /**
   * @param {string} script absolute path of an .mjs fixture
   * @param {string} role   label for reports ("worker", "producer")
   * @param {object} opts   handed to the child as JSON in CHAOS_OPTS
   */
  constructor(script, role, opts) {
    super();
    this.setMaxListeners(0);
    this.role = role;
    this.opts = opts;
    this.stopped = false;
    this.stderr = '';
    /** Recent messages, so a wait that starts late still sees what already arrived. */
    this.history = [];
    this.proc = spawn(process.execPath, [script], {
      env: { ...process.env, CHAOS_OPTS: JSON.stringify(opts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.proc.pid;
    alive.set(this.pid, this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        alive.delete(this.pid);
        this.exitInfo = { code, signal, at: Date.now() };
        this.emit('exit', this.exitInfo);
        resolve(this.exitInfo);
      });
    });
    this.proc.stderr.on('data', (chunk) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8000);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        this.stderr = (this.stderr + `[stdout] ${line}\n`).slice(-8000);
        return;
      }
      this.history.push(msg);
      if (this.history.length > 2000) this.history.splice(0, 1000);
      this.emit('msg', msg);
      // prefixed: a child's "error" record must not be an EventEmitter 'error'
      this.emit(`msg:${msg.t}`, msg);
    });
  }

  get running() {
    return this.exitInfo === undefined;
  }

  /**
   * The first message of type `t` passing `pred`, looking at what already arrived first; rejects
   * after `timeoutMs` naming what was awaited (and the child's last stderr).
   */
  waitFor(t, pred = () => true, timeoutMs = 10_000, { includeHistory = true } = {}) {
    if (includeHistory) {
      const seen = this.history.find((m) => m.t === t && pred(m));
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.off(`msg:${t}`, onMsg);
        this.off('exit', onExit);
      };
      const onMsg = (m) => {
        if (!pred(m)) return;
        cleanup();
        resolve(m);
      };
      const onExit = (info) => {
        cleanup();
        reject(
          new Error(
            `${this.role} ${this.pid} exited (${info.code ?? info.signal}) while waiting for "${t}"; stderr: ${this.stderr.slice(-600)}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.role} ${this.pid}: no "${t}" within ${timeoutMs} ms; stderr: ${this.stderr.slice(-600)}`));
      }, timeoutMs);
      this.on(`msg:${t}`, onMsg);
      if (this.running) this.once('exit', onExit);
      else onExit(this.exitInfo);
    });
  }

  signal(sig) {
    if (!this.running) return false;
    process.kill(this.pid, sig);
    if (sig === 'SIGSTOP') this.stopped = true;
    if (sig === 'SIGCONT') this.stopped = false;
    return true;
  }

  /** Resolves with the exit, or rejects after `timeoutMs`. */
  async waitExit(timeoutMs) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.role} ${this.pid} did not exit within ${timeoutMs} ms; stderr: ${this.stderr.slice(-600)}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * SIGTERM (the fixtures then close gracefully), SIGKILL after `graceMs`. Resolves with whether it
   * went by itself, so a close that hangs is reported instead of hidden.
   */
  async stop(graceMs = 15_000) {
    if (!this.running) return { graceful: true, ...this.exitInfo };
    if (this.stopped) this.signal('SIGCONT');
    this.signal('SIGTERM');
    try {
      const info = await this.waitExit(graceMs);
      return { graceful: true, ...info };
    } catch {
      this.signal('SIGKILL');
      const info = await this.exited;
      return { graceful: false, ...info };
    }
  }

  async kill9() {
    if (!this.running) return this.exitInfo;
    if (this.stopped) this.signal('SIGCONT');
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** Stops every child still alive (SIGTERM, then SIGKILL), each by its pid. */
export async function stopAll(graceMs = 15_000) {
  return Promise.all([...alive.values()].map((child) => child.stop(graceMs)));
}
