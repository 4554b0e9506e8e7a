// A password never shows: not in an error a Queue, Worker, QueueEvents or FlowProducer emits or
// rejects with (message, stack, cause, the AUTH command ioredis attaches), not in what the Nest
// connection logs, not on the console. Checked with a wrong password against a server of our own
// and with an unreachable URL, in every connection form.
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { Logger } from '@nestjs/common';
import { FlowProducer, Queue, QueueEvents, Worker, type ConnectionOptions } from '../../lib/index.js';
import { ModuleConnection } from '../../lib/nest/module-connection.js';
import { resolveModuleOptions } from '../../lib/nest/module-options.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { uniqueName } from '../support/redis.js';

const SECRET = 'secret';

/** Everything that could carry the password out: every error seen, every line written. */
class Sightings {
  readonly texts: string[] = [];
  readonly errors: unknown[] = [];

  error(err: unknown): void {
    this.errors.push(err);
    // what loggers print: message, stack, own properties (ioredis' `command`), the cause chain
    this.texts.push(inspect(err, { depth: 10 }), String((err as Error)?.stack ?? ''), String((err as Error)?.message ?? err));
  }

  line(...args: unknown[]): void {
    this.texts.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
  }

  leaks(): string[] {
    return this.texts.filter((t) => t.includes(SECRET));
  }
}

/**
 * Captures console output and process warnings for the duration of a test (warnings where they are
 * handed to process.emitWarning: Jest's `process` copy never hears its 'warning' event).
 */
function watchOutput(seen: Sightings): () => void {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const originals = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => seen.line(...args);
  const emitWarning = process.emitWarning;
  process.emitWarning = ((...args: unknown[]) => seen.line(...args)) as typeof process.emitWarning;
  return () => {
    methods.forEach((m, i) => (console[m] = originals[i]));
    process.emitWarning = emitWarning;
  };
}

/** A Nest logger that keeps what it is told and says when it was told something. */
class CapturingLogger extends EventEmitter {
  readonly lines: string[] = [];
  private write(level: string, args: unknown[]): void {
    this.lines.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' '));
    this.emit('line', level);
  }
  log(...args: unknown[]): void {
    this.write('log', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  verbose(...args: unknown[]): void {
    this.write('verbose', args);
  }
}

/**
 * Opens a Queue, Worker, QueueEvents, FlowProducer and a Nest connection on `connection`, waits for
 * each one's error and for the rejections of add, a getter and waitUntilReady, then closes them.
 */
async function exercise(connection: () => ConnectionOptions, seen: Sightings): Promise<void> {
  const name = uniqueName('redact');
  const queue = new Queue(name, { connection: connection() });
  const worker = new Worker(name, async () => 1, { connection: connection() });
  const events = new QueueEvents(name, { connection: connection() });
  const flows = new FlowProducer({ connection: connection() });
  const logger = new CapturingLogger();
  const nest = new ModuleConnection('default', resolveModuleOptions({ connection: connection() }, 'default'), logger as unknown as Logger);
  const emitters: EventEmitter[] = [queue, worker, events, flows];
  for (const emitter of emitters) emitter.on('error', (err: Error) => seen.error(err));
  try {
    const firstErrors = emitters.map((emitter) => once(emitter, 'error', 10_000));
    const nestWarned = once(logger, 'line', 10_000);
    nest.queue(name);
    const rejections = await Promise.allSettled([
      queue.add('j', {}),
      queue.getJobCounts(),
      flows.add({ name: 'p', queueName: name, children: [{ name: 'c', queueName: name }] }),
      events.waitUntilReady(),
      worker.waitUntilReady(),
    ]);
    for (const r of rejections) {
      expect(r.status).toBe('rejected');
      if (r.status === 'rejected') seen.error(r.reason);
    }
    await Promise.all(firstErrors);
    await nestWarned;
  } finally {
    await worker.close();
    await events.close();
    await flows.close();
    await queue.close();
    await nest.closeQueues();
    await nest.close();
    for (const line of logger.lines) seen.line(line);
  }
}

describe('passwords never appear in errors or logs', () => {
  let server: RedisServer;
  let seen: Sightings;
  let stopWatching: () => void;

  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--requirepass', 'the-right-one'] });
  });

  afterAll(async () => {
    await server?.close();
  });

  beforeEach(() => {
    seen = new Sightings();
    stopWatching = watchOutput(seen);
  });

  afterEach(() => stopWatching());

  // connectTimeout shortens the wait for add() to give up; a plain URL string cannot carry it as a
  // number (ioredis passes `?connectTimeout=` on as a string), so those cases wait the default 10 s
  const cases: [string, () => ConnectionOptions][] = [
    ['a wrong password for a user, in a redis:// URL', () => `redis://conveyor:${SECRET}@127.0.0.1:${server.port}`],
    [
      'a wrong password for the default user, in { url }',
      () => ({ url: `redis://:${SECRET}@127.0.0.1:${server.port}`, connectTimeout: 1000 }),
    ],
    [
      'a wrong password for a user, in ioredis options',
      () => ({ host: '127.0.0.1', port: server.port, username: 'conveyor', password: SECRET, connectTimeout: 1000 }),
    ],
  ];

  it.each(cases)(
    '%s',
    async (_label, connection) => {
      await exercise(connection, seen);
      expect(seen.texts.some((t) => t.includes('WRONGPASS'))).toBe(true);
      expect(seen.leaks()).toEqual([]);
    },
    30_000,
  );

  it('an unreachable redis://user:secret@127.0.0.1:1', async () => {
    await exercise(() => `redis://user:${SECRET}@127.0.0.1:1`, seen);
    expect(seen.texts.some((t) => t.includes('ECONNREFUSED'))).toBe(true);
    expect(seen.texts.some((t) => t.includes('127.0.0.1:1 is unreachable'))).toBe(true);
    expect(seen.leaks()).toEqual([]);
  }, 30_000);

  it('a URL that does not parse is named without its credentials', () => {
    let thrown: unknown;
    try {
      new Queue('q', { connection: `redis://user:${SECRET}@127.0.0.1:notaport` });
    } catch (err) {
      thrown = err;
    }
    seen.error(thrown);
    expect((thrown as Error).message).toBe(
      'connection URL redis://***@127.0.0.1:notaport is not a valid redis:// or rediss:// URL: Invalid URL',
    );
    expect(seen.leaks()).toEqual([]);
  });
});
