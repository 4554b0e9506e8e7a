// Redis out of memory with maxmemory-policy noeviction: it refuses writes but stays up. Jobs in
// hand keep their locks (renewals still go through), a worker reports the refusal at a bounded
// rate, keeps its finishes until Redis takes them, and resumes on its own once writes are accepted.
import { Redis } from 'ioredis';
import { REFUSAL_RETRY_MS } from '../../lib/engine/connection/connection.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { until, within } from '../support/wait.js';
import { expectBoundedRepeats, recordErrors } from './faults-support.js';

const LOCK_DURATION = 600;

describe('Redis refusing writes (maxmemory, noeviction)', () => {
  const scope = scopePerTest();
  let server: RedisServer;
  let admin: Redis;
  beforeEach(async () => {
    server = scope.track(await RedisServer.start());
    admin = new Redis({ host: '127.0.0.1', port: server.port });
    scope.onClose(() => admin.disconnect());
    // a failed test must not leave finishes refused while the scope closes the worker
    scope.defer(() => admin.config('SET', 'maxmemory', '0').catch(() => undefined));
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
  });

  const refuseWrites = () => admin.config('SET', 'maxmemory', '1');
  const acceptWrites = () => admin.config('SET', 'maxmemory', '0');
  const conn = () => ({ host: '127.0.0.1', port: server.port });

  it('a running job keeps its lock past lockDuration while writes are refused, then completes once', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: conn() }));
    const release = scope.gate();
    const runs: string[] = [];
    const worker = scope.track(
      new Worker(
        queue.name,
        async (job: Job) => {
          runs.push(job.id!);
          await release.promise;
          return 'ok';
        },
        { connection: conn(), lockDuration: LOCK_DURATION, stalledInterval: 300 },
      ),
    );
    const errors: Error[] = [];
    worker.on('error', (err: Error) => errors.push(err));
    const stalled: string[] = [];
    worker.on('stalled', (id: string) => stalled.push(id));
    const active = once<[Job]>(worker, 'active', 5000);
    const job = await queue.add('long', {});
    await active;

    const lock = `bull:${queue.name}:${job.id}:lock`;
    const expiryAt = async () => Number(await admin.call('PEXPIRETIME', lock));
    const unrenewed = await expiryAt();
    await refuseWrites();
    // Renewals still go through: the lock's expiry moves past where it would have been without
    // them by two lifetimes (renewed more than a lifetime after the refusal began; the stalled
    // checker, every 300 ms, had its chances to take the job back meanwhile)
    await until('the lock renewed while writes are refused', expiryAt, (at) => at > unrenewed + 2 * LOCK_DURATION, 5000);
    expect(await admin.lrange(`bull:${queue.name}:active`, 0, -1)).toEqual([job.id]);

    // the finish is refused too; the worker keeps it and stores it once Redis takes writes
    const completed = once<[Job, string]>(worker, 'completed', 5000);
    release.resolve();
    await until(
      'a refused finish',
      () => errors.filter((e) => /^OOM/.test(e.message)).length,
      (n) => n > 0,
      5000,
    );
    await acceptWrites();
    await completed;
    expect(await admin.zscore(`bull:${queue.name}:completed`, job.id!)).not.toBeNull();
    expect(runs).toEqual([job.id]);
    expect(stalled).toEqual([]);
  });

  // concurrency 1 takes job by job, more takes several from wait in one go: both must be refused
  it.each([1, 4])(
    'a worker (concurrency %i) whose fetches are refused reports it about once a second, takes nothing, and takes jobs again as soon as writes are accepted',
    async (concurrency) => {
      const queue = scope.track(new Queue(scope.name(), { connection: conn() }));
      const added = await queue.addBulk([
        { name: 'a', data: {} },
        { name: 'b', data: {} },
      ]);
      await refuseWrites();
      const worker = scope.track(new Worker(queue.name, async () => 'ok', { connection: conn(), autorun: false, concurrency }));
      const errors = recordErrors(worker);
      // every wait of the worker loop goes through delay(): here, the pauses between refused fetches
      const waits: number[] = [];
      const delay = worker.delay.bind(worker);
      worker.delay = (ms?: number, controller?: AbortController) => {
        waits.push(ms ?? 0);
        return delay(ms, controller);
      };
      void worker.run();
      // until a refusal is reported again: the same error goes out at most once a second, while the
      // fetch is retried every 50 ms meanwhile (never backing off towards the 2 s cap)
      const reports = await expectBoundedRepeats(errors, 0);
      expect(reports.every((e) => /^OOM/.test(e.message))).toBe(true);
      expect(waits.length).toBeGreaterThan(2 * reports.length);
      expect(Math.max(...waits)).toBeLessThanOrEqual(REFUSAL_RETRY_MS);
      // a refused fetch took nothing: Redis refuses a script at its first write only
      expect(await admin.lrange(`bull:${queue.name}:wait`, 0, -1)).toEqual(added.map((j) => j.id).reverse());
      expect(await admin.llen(`bull:${queue.name}:active`)).toBe(0);

      // as soon as writes are accepted: the next try (one pause at most) takes a job
      const active = once<[Job]>(worker, 'active', 5000);
      await acceptWrites();
      const waitsBefore = waits.length;
      await within(active, 5000, 'the first job after writes were accepted');
      expect(waits.length - waitsBefore).toBeLessThanOrEqual(1);
    },
  );
});
