// Every engine script call on a queue, as Redis saw it (MONITOR): to prove round trips and
// commands per job, not only outcomes.
import net from 'node:net';
import type { Redis } from 'ioredis';
import { loadScript } from '../../lib/engine/core/scripts.js';
import { ADMIN_REDIS_URL } from './redis.js';
import { within } from './wait.js';

export interface ScriptCall {
  script: string;
  /** How it was sent: by SHA, or with its source after a NOSCRIPT. */
  command: 'evalsha' | 'eval';
  /** Server time of the call, ms. */
  at: number;
  keys: string[];
  args: string[];
}

/**
 * Records every EVALSHA / EVAL of the engine's scripts that names `queue` (through MONITOR, so it
 * sees exactly what reached Redis). `settle()` makes sure every command sent before it was seen.
 */
export class ScriptMonitor {
  readonly calls: ScriptCall[] = [];
  /** Plain commands (lower-case name first) on the queue's keys, including those scripts ran. */
  readonly commands: { at: number; args: string[] }[] = [];
  private socket: net.Socket | undefined;
  private readonly bySha = new Map<string, string>();
  private readonly bySource = new Map<string, string>();
  private readonly sentinels = new Map<string, () => void>();

  /** `url`: the server to watch (ADMIN_REDIS_URL by default; a cluster test names one node). */
  constructor(
    private readonly queue: string,
    scripts: string[],
    private readonly url = ADMIN_REDIS_URL,
  ) {
    for (const name of scripts) {
      const loaded = loadScript(name);
      this.bySha.set(loaded.sha, name);
      this.bySource.set(loaded.source, name);
    }
  }

  /**
   * MONITOR over a plain socket: ioredis's monitor() can mistake a line that arrives together with
   * the MONITOR reply for a stray reply on a busy server.
   */
  async start(): Promise<this> {
    const url = new URL(this.url);
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    this.socket = socket;
    socket.setNoDelay(true);
    // a user in the URL (the ACL suite's admin) logs in first; its +OK is not MONITOR's
    const auth = url.password ? [decodeURIComponent(url.username || 'default'), decodeURIComponent(url.password)] : undefined;
    let pendingOks = auth ? 2 : 1;
    let buffer = '';
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (line === '+OK') {
          pendingOks -= 1;
          if (pendingOks === 0) ready();
        } else if (line.startsWith('+')) this.parseLine(line.slice(1));
      }
    });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (auth) socket.write(`*3\r\n$4\r\nAUTH\r\n${auth.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    socket.write('MONITOR\r\n');
    await within(started, 5000, 'MONITOR');
    return this;
  }

  /** `<time> [<db> <addr>] "cmd" "arg" ...` with C-style escapes inside the quotes. */
  private parseLine(line: string): void {
    const space = line.indexOf(' ');
    const at = Number(line.slice(0, space)) * 1000;
    const args: string[] = [];
    let i = line.indexOf('] ', space) + 2;
    while (i < line.length) {
      if (line[i] !== '"') {
        i += 1;
        continue;
      }
      // bytes, since Redis escapes every non-printable byte (UTF-8 included) as \xHH
      const bytes: number[] = [];
      i += 1;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const next = line[i + 1];
          if (next === 'x') {
            bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          bytes.push(({ n: 10, r: 13, t: 9, a: 7, b: 8 } as Record<string, number>)[next] ?? next.charCodeAt(0));
          i += 2;
          continue;
        }
        bytes.push(line.charCodeAt(i));
        i += 1;
      }
      const arg = Buffer.from(bytes).toString('utf8');
      args.push(arg);
      i += 1;
    }
    this.observe(at, args);
  }

  private observe(at: number, args: string[]): void {
    const command = String(args[0]).toLowerCase();
    if (command === 'echo' && this.sentinels.has(args[1])) {
      this.sentinels.get(args[1])!();
      return;
    }
    if (command !== 'evalsha' && command !== 'eval') {
      // commands run by scripts show up too (source "lua")
      if (args.slice(1).some((a) => a.startsWith(`bull:${this.queue}:`))) this.commands.push({ at, args: [command, ...args.slice(1)] });
      return;
    }
    const script = command === 'evalsha' ? this.bySha.get(args[1]) : this.bySource.get(args[1]);
    if (!script) return;
    const numKeys = Number(args[2]);
    const keys = args.slice(3, 3 + numKeys);
    const rest = args.slice(3 + numKeys);
    if (![...keys, ...rest].some((a) => a.includes(`:${this.queue}:`))) return;
    this.calls.push({ script, command, at, keys, args: rest });
  }

  count(script: string): number {
    return this.calls.filter((c) => c.script === script).length;
  }

  of(script: string): ScriptCall[] {
    return this.calls.filter((c) => c.script === script);
  }

  /** Resolves once every command sent before this call has been seen by the monitor. */
  async settle(redis: Redis): Promise<void> {
    const tag = `settle-${this.queue}-${Math.random().toString(36).slice(2)}`;
    const seen = new Promise<void>((resolve) => this.sentinels.set(tag, resolve));
    await redis.echo(tag);
    await within(seen, 5000, 'the MONITOR sentinel');
    this.sentinels.delete(tag);
  }

  async close(): Promise<void> {
    this.socket?.destroy();
  }
}
