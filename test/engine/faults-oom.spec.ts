// Redis out of memory with maxmemory-policy noeviction: it refuses writes but stays up. Jobs in
// hand keep their locks (renewals still go through), a worker reports the refusal at a bounded
// rate, keeps its finishes until Redis takes them, and resumes on its own once writes are accepted.
import { Redis } from 'ioredis';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { Scope } from '../support/scope.js';
import { until, within } from '../support/wait.js';

describe('Redis refusing writes (maxmemory, noeviction)', () => {
  let scope: Scope;
  let server: RedisServer;
  let admin: Redis;
  beforeEach(async () => {
    scope = new Scope();
    server = scope.track(await RedisServer.start());
    admin = new Redis({ host: '127.0.0.1', port: server.port });
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  });
  afterEach(async () => {
    // a failed test must not leave finishes refused while the scope closes the worker
    await admin.config('SET', 'maxmemory', '0').catch(() => undefined);
    admin.disconnect();
    await scope.close();
  });

  const refuseWrites = () => admin.config('SET', 'maxmemory', '1');
  const acceptWrites = () => admin.config('SET', 'maxmemory', '0');
  const conn = () => ({ host: '127.0.0.1', port: server.port });

  it('a running job keeps its lock past lockDuration while writes are refused, then completes once', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: conn() }));
    const release = scope.gate();
    const runs: string[] = [];
    const worker = scope.track(
      new Worker(queue.name, async (job: Job) => {
        runs.push(job.id!);
        await release.promise;
        return 'ok';
      }, { connection: conn(), lockDuration: 600, stalledInterval: 300 }),
    );
    const errors: Error[] = [];
    worker.on('error', (err: Error) => errors.push(err));
    const stalled: string[] = [];
    worker.on('stalled', (id: string) => stalled.push(id));
    const active = once<[Job]>(worker, 'active', 5000);
    const job = await queue.add('long', {});
    await active;

    await refuseWrites();
    // three lock lifetimes: without renewals the stalled checker would take the job back
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(await admin.pttl(`bull:${queue.name}:${job.id}:lock`)).toBeGreaterThan(0);
    expect(await admin.lrange(`bull:${queue.name}:active`, 0, -1)).toEqual([job.id]);

    // the finish is refused too; the worker keeps it and stores it once Redis takes writes
    const completed = once<[Job, string]>(worker, 'completed', 5000);
    release.resolve();
    await until('a refused finish', () => errors.filter((e) => /^OOM/.test(e.message)).length, (n) => n > 0, 5000);
    await acceptWrites();
    await completed;
    expect(await admin.zscore(`bull:${queue.name}:completed`, job.id!)).not.toBeNull();
    expect(runs).toEqual([job.id]);
    expect(stalled).toEqual([]);
  });

  it('a worker whose fetches are refused reports it about once a second and takes jobs again as soon as writes are accepted', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: conn() }));
    await queue.addBulk([{ name: 'a', data: {} }, { name: 'b', data: {} }]);
    await refuseWrites();
    const worker = scope.track(new Worker(queue.name, async () => 'ok', { connection: conn(), autorun: false }));
    const errors: { at: number; message: string }[] = [];
    worker.on('error', (err: Error) => errors.push({ at: Date.now(), message: err.message }));
    void worker.run();
    await until('a refused fetch', () => errors.length, (n) => n > 0, 5000);
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const seen = errors.filter((e) => e.at >= from).length;
    // retried every 50 ms meanwhile, but the same error goes out at most once a second
    expect(seen).toBeLessThanOrEqual(3);
    expect(errors.every((e) => /^OOM/.test(e.message))).toBe(true);

    const active = once<[Job]>(worker, 'active', 5000);
    const liftedAt = Date.now();
    await acceptWrites();
    await within(active, 5000, 'the first job after writes were accepted');
    // a retry every 50 ms; generous for a loaded CI machine, far below the 2 s backoff cap
    expect(Date.now() - liftedAt).toBeLessThan(600);
  });
});
