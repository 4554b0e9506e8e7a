// Redis frozen (SIGSTOP) for longer than lockDuration: every lock runs out meanwhile. A job still
// in active that nobody took over is still its worker's, so its finish goes through and its lock
// is renewed, instead of the job being refused and run a second time.
import { Redis } from 'ioredis';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { clockPast, until } from '../support/wait.js';

const LOCK_DURATION = 400;

describe('Redis frozen past lockDuration', () => {
  const scope = scopePerTest();
  let server: RedisServer;
  beforeEach(async () => {
    server = scope.track(await RedisServer.start());
    // a failed test must not leave it frozen: nothing could close
    scope.defer(() => server.thaw());
  });

  it('jobs in hand finish once when it thaws, and a running job keeps its lock', async () => {
    const conn = { host: '127.0.0.1', port: server.port };
    // keys that expire are announced: the proof that the locks really ran out while it was frozen
    const admin = new Redis(conn);
    const expiries = new Redis(conn);
    scope.onClose(() => expiries.quit());
    scope.onClose(() => admin.quit());
    await admin.config('SET', 'notify-keyspace-events', 'Ex');
    const expired: string[] = [];
    expiries.on('message', (_channel: string, key: string) => expired.push(key));
    await expiries.subscribe('__keyevent@0__:expired');
    const queue = scope.track(new Queue(scope.name(), { connection: conn }));
    const short = scope.gate();
    const long = scope.gate();
    const runs: string[] = [];
    const tokens = new Map<string, string>();
    const worker = scope.track(
      new Worker(
        queue.name,
        async (job: Job, token?: string) => {
          runs.push(job.id!);
          tokens.set(job.id!, token!);
          await (job.name === 'short' ? short.promise : long.promise);
          return job.name;
        },
        { connection: conn, concurrency: 2, lockDuration: LOCK_DURATION, stalledInterval: 60_000 },
      ),
    );
    const errors: Error[] = [];
    worker.on('error', (err: Error) => errors.push(err));
    const lost: string[][] = [];
    worker.on('lockRenewalFailed', (ids: string[]) => lost.push(ids));
    const bothActive = new Promise<void>((resolve) => {
      let n = 0;
      worker.on('active', () => ++n === 2 && resolve());
    });
    const [a, b] = await queue.addBulk([
      { name: 'short', data: {} },
      { name: 'long', data: {} },
    ]);
    await bothActive;

    server.freeze();
    const frozenAt = Date.now();
    // the short job ends while Redis is frozen: its finish waits in the socket
    short.resolve();
    // Nothing can be asked of a frozen server: the wait is for its clock to pass the locks' expiry,
    // at most LOCK_DURATION after the freeze (no renewal reached it since)
    await clockPast(frozenAt + LOCK_DURATION + 100);
    const shortDone = once<[Job]>(worker, 'completed', 5000, (job: Job) => job.id === a.id);
    server.thaw();
    await shortDone;
    const locks = [a, b].map((job) => `bull:${queue.name}:${job.id}:lock`);
    await until(
      'both locks announced as expired',
      () => expired,
      (keys) => locks.every((lock) => keys.includes(lock)),
      // Redis finds expired keys in a background cycle: slow when the machine is busy
      15_000,
    );

    // the long job's lock, gone while Redis was frozen, is back with the next renewal
    await until(
      'the long job locked again',
      () => admin.get(locks[1]),
      (holder) => holder === tokens.get(b.id!),
      3000,
    );
    const longDone = once<[Job]>(worker, 'completed', 5000, (job: Job) => job.id === b.id);
    long.resolve();
    await longDone;
    expect(runs.sort()).toEqual([a.id, b.id].sort());
    expect(lost).toEqual([]);
    expect(errors.filter((e) => /lock/i.test(e.message))).toEqual([]);
  });
});
