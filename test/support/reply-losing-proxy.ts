// A TCP proxy between ioredis and one Redis server that loses exactly one reply: armed with a
// predicate on commands, it forwards the next matching command, lets the replies of the commands
// sent before it through, and when that command's reply comes in (so Redis has run it) drops the
// reply and both sockets. An error reply (a NOSCRIPT, say) is let through and the next match is
// waited for instead. ioredis then reconnects (through the proxy again) and sends the command
// once more, as it would after a real network fault. Replies are counted by parsing RESP, so which
// reply is lost does not depend on how the bytes happen to be split into packets.
import net from 'node:net';
import { loadScript } from '../../lib/engine/core/scripts.js';

/** A command as sent: its name (lower case) and arguments, as text. */
export interface SentCommand {
  name: string;
  args: string[];
}

/**
 * End of the RESP value starting at `pos` in `buf`, or -1 when it is not all there yet. With
 * `values`, the bulk strings of a top-level array are collected (a command's words).
 */
function endOfValue(buf: Buffer, pos: number, values?: string[]): number {
  if (pos >= buf.length) return -1;
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buf[pos]);
  const head = buf.toString('latin1', pos + 1, lineEnd);
  let next = lineEnd + 2;
  switch (type) {
    case '+':
    case '-':
    case ':':
      return next;
    case '$': {
      const len = Number(head);
      if (len < 0) return next;
      if (buf.length < next + len + 2) return -1;
      values?.push(buf.toString('utf8', next, next + len));
      return next + len + 2;
    }
    case '*': {
      const count = Number(head);
      for (let i = 0; i < count; i++) {
        next = endOfValue(buf, next, values);
        if (next < 0) return -1;
      }
      return next;
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/** A call of the engine's `script`, by EVALSHA or (after a NOSCRIPT) EVAL. */
export function scriptCall(script: string): (command: SentCommand) => boolean {
  const { sha, source } = loadScript(script);
  return (c) => (c.name === 'evalsha' && c.args[0] === sha) || (c.name === 'eval' && c.args[0] === source);
}

export class ReplyLosingProxy {
  readonly server = net.createServer((client) => this.accept(client));
  private match: ((command: SentCommand) => boolean) | undefined;
  private readonly sockets = new Set<net.Socket>();
  /** Replies dropped so far. */
  lost = 0;
  /** Connections accepted so far. */
  connections = 0;
  /** Called right after a reply was dropped and the connection cut. */
  onLost: (() => void) | undefined;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The reply to the next command `match` accepts will be lost (once). */
  arm(match: (command: SentCommand) => boolean): void {
    this.match = match;
  }

  private accept(client: net.Socket): void {
    this.connections += 1;
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    let fromClient = Buffer.alloc(0);
    let fromServer = Buffer.alloc(0);
    let sent = 0;
    let replied = 0;
    /** Index of the command whose reply is to be lost on this connection, and what matched it. */
    let cutAt = -1;
    let matched: ((command: SentCommand) => boolean) | undefined;
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      let pos = 0;
      for (;;) {
        const words: string[] = [];
        const next = endOfValue(fromClient, pos, words);
        if (next < 0) break;
        const command = { name: (words[0] ?? '').toLowerCase(), args: words.slice(1) };
        if (cutAt < 0 && this.match?.(command)) {
          matched = this.match;
          this.match = undefined;
          cutAt = sent;
        }
        sent += 1;
        pos = next;
      }
      fromClient = fromClient.subarray(pos);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      let pos = 0;
      for (;;) {
        const next = endOfValue(fromServer, pos);
        if (next < 0) break;
        if (replied === cutAt && fromServer[pos] === 0x2d) {
          // an error reply (NOSCRIPT, before the EVAL that follows it): Redis ran nothing; wait for the next match
          cutAt = -1;
          this.match = matched;
        } else if (replied === cutAt) {
          // the replies before it go through; this one, and the connection, do not
          client.write(fromServer.subarray(0, pos));
          this.lost += 1;
          end();
          this.onLost?.();
          return;
        }
        replied += 1;
        pos = next;
      }
      client.write(fromServer.subarray(0, pos));
      fromServer = fromServer.subarray(pos);
    });
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
