// Redis frozen (SIGSTOP) for longer than lockDuration: every lock runs out meanwhile. A job still
// in active that nobody took over is still its worker's, so its finish goes through and its lock
// is renewed, instead of the job being refused and run a second time.
import { Redis } from 'ioredis';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { Scope } from '../support/scope.js';
import { until } from '../support/wait.js';

describe('Redis frozen past lockDuration', () => {
  let scope: Scope;
  let server: RedisServer;
  beforeEach(async () => {
    scope = new Scope();
    server = scope.track(await RedisServer.start());
  });
  afterEach(async () => {
    server.thaw();
    await scope.close();
  });

  it('jobs in hand finish once when it thaws, and a running job keeps its lock', async () => {
    const conn = { host: '127.0.0.1', port: server.port };
    const queue = scope.track(new Queue(scope.name(), { connection: conn }));
    const short = scope.gate();
    const long = scope.gate();
    const runs: string[] = [];
    const tokens = new Map<string, string>();
    const worker = scope.track(
      new Worker(queue.name, async (job: Job, token?: string) => {
        runs.push(job.id!);
        tokens.set(job.id!, token!);
        await (job.name === 'short' ? short.promise : long.promise);
        return job.name;
      }, { connection: conn, concurrency: 2, lockDuration: 400, stalledInterval: 60_000 }),
    );
    const errors: Error[] = [];
    worker.on('error', (err: Error) => errors.push(err));
    const lost: string[][] = [];
    worker.on('lockRenewalFailed', (ids: string[]) => lost.push(ids));
    const bothActive = new Promise<void>((resolve) => {
      let n = 0;
      worker.on('active', () => ++n === 2 && resolve());
    });
    const [a, b] = await queue.addBulk([{ name: 'short', data: {} }, { name: 'long', data: {} }]);
    await bothActive;

    server.freeze();
    // the short job ends while Redis is frozen: its finish waits in the socket
    short.resolve();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const shortDone = once<[Job]>(worker, 'completed', 5000, (job: Job) => job.id === a.id);
    server.thaw();
    await shortDone;

    // the long job's lock, gone while Redis was frozen, is back with the next renewal
    const admin = new Redis(conn);
    try {
      await until('the long job locked again', () => admin.get(`bull:${queue.name}:${b.id}:lock`), (holder) => holder === tokens.get(b.id!), 3000);
    } finally {
      admin.disconnect();
    }
    const longDone = once<[Job]>(worker, 'completed', 5000, (job: Job) => job.id === b.id);
    long.resolve();
    await longDone;
    expect(runs.sort()).toEqual([a.id, b.id].sort());
    expect(lost).toEqual([]);
    expect(errors.filter((e) => /lock/i.test(e.message))).toEqual([]);
  });
});
