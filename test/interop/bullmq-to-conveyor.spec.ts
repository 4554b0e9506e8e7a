// bullmq@6.7.0 produces, a Conveyor worker consumes.
import { Queue as BullQueue } from 'bullmq';
import { Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection, expectCompletedOnce, expectThirdTimeLucky } from './support.js';

describe('interop: bullmq producer -> Conveyor worker', () => {
  const scope = scopePerTest('interop');

  it('runs lifo first, then FIFO, then prioritized jobs in priority order, with results readable by bullmq', async () => {
    const name = scope.name('b2c-order');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    await producer.add('plain', { n: 'A' });
    await producer.add('plain', { n: 'B' });
    await producer.add('lifo', { n: 'L' }, { lifo: true });
    await producer.add('prio', { n: 'P3' }, { priority: 3 });
    await producer.add('prio', { n: 'P1' }, { priority: 1 });
    await producer.add('prio', { n: 'P1b' }, { priority: 1 });
    await producer.add('prio', { n: 'P2' }, { priority: 2 });
    const custom = await producer.add('custom', { n: 'C' }, { jobId: 'my-custom-id' });
    expect(custom.id).toBe('my-custom-id');

    const seen: string[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          seen.push(job.data.n);
          return { echo: job.data.n, name: job.name };
        },
        { connection: conveyorConnection(), autorun: false },
      ),
    );
    const done = times(worker, 'completed', 8, 10000);
    void worker.run();
    const completed = await done;

    // wait: LPUSH A, LPUSH B, RPUSH L, LPUSH C (custom); consumers take from the right
    expect(seen).toEqual(['L', 'A', 'B', 'C', 'P1', 'P1b', 'P2', 'P3']);
    await expectCompletedOnce(producer, completed);
    const customRead = await producer.getJob('my-custom-id');
    expect(customRead?.data).toEqual({ n: 'C' });
    expect(await producer.getJobCounts('completed', 'waiting', 'prioritized', 'active')).toEqual({
      completed: 8,
      waiting: 0,
      prioritized: 0,
      active: 0,
    });
  });

  it('holds a delayed job until its due time, then runs it', async () => {
    const name = scope.name('b2c-delay');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const worker = scope.track(
      new Worker(name, async (job: Job) => ({ ranAt: Date.now(), due: job.timestamp + job.opts.delay! }), {
        connection: conveyorConnection(),
      }),
    );
    await once(worker, 'ready');
    const delayed = await producer.add('later', { x: 1 }, { delay: 700 });
    expect(await delayed.getState()).toBe('delayed');
    const immediate = await producer.add('now', { x: 2 });

    const [first] = await once(worker, 'completed', 5000);
    expect(first.id).toBe(immediate.id);
    const [second, result] = await once(worker, 'completed', 5000);
    expect(second.id).toBe(delayed.id);
    expect(result.ranAt).toBeGreaterThanOrEqual(delayed.timestamp + 700);

    const read = await producer.getJob(delayed.id!);
    expect(read?.processedOn).toBeGreaterThanOrEqual(delayed.timestamp + 700);
    // a promoted job's delay field is reset to 0 (wire-format §7.3)
    expect(read?.delay).toBe(0);
    expect(read?.opts.delay).toBe(700);
  });

  it('retries a failing job per bullmq attempts + backoff and completes it on the third attempt', async () => {
    const name = scope.name('b2c-retry');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const starts: number[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          starts.push(Date.now());
          if (job.attemptsMade < 2) throw new Error(`boom ${job.attemptsMade}`);
          return 'third time lucky';
        },
        { connection: conveyorConnection() },
      ),
    );
    const failures = times(worker, 'failed', 2, 10000);
    const completed = once(worker, 'completed', 10000);
    const job = await producer.add('flaky', { y: 1 }, { attempts: 3, backoff: { type: 'fixed', delay: 300 } });
    await failures;
    await completed;

    await expectThirdTimeLucky(producer, job.id!, starts);
  });

  it("hands a custom backoff type bullmq added ('custom1') to settings.backoffStrategy, as bullmq's worker does", async () => {
    const name = scope.name('b2c-custom-backoff');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const calls: [number, string | undefined, string, string | undefined][] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          if (job.attemptsMade < 2) throw new Error(`not yet ${job.attemptsMade}`);
          return 'done';
        },
        {
          connection: conveyorConnection(),
          settings: {
            backoffStrategy: (attemptsMade, type, err, job) => {
              calls.push([attemptsMade, type, err.message, job.id]);
              return type === 'custom1' ? attemptsMade * 100 : -1;
            },
          },
        },
      ),
    );
    const failed = times<[Job]>(worker, 'failed', 2, 10000);
    const completed = once(worker, 'completed', 10000);
    const job = await producer.add('c', {}, { attempts: 3, backoff: { type: 'custom1' } });
    const delays = (await failed).map(([j]) => j.delay);
    await completed;
    expect(calls).toEqual([
      [1, 'custom1', 'not yet 0', job.id],
      [2, 'custom1', 'not yet 1', job.id],
    ]);
    expect(delays).toEqual([100, 200]);
    expect(await (await producer.getJob(job.id!))?.getState()).toBe('completed');
  });

  it('fails a job for good after its attempts, exponential backoff included', async () => {
    const name = scope.name('b2c-fail');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const starts: number[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          starts.push(Date.now());
          throw new Error('always');
        },
        { connection: conveyorConnection() },
      ),
    );
    const final = once(worker, 'failed', 10000, (_job: Job) => _job.finishedOn !== undefined);
    const job = await producer.add('doomed', {}, { attempts: 3, backoff: { type: 'exponential', delay: 100 } });
    await final;

    expect(starts).toHaveLength(3);
    // exponential: 100 ms after attempt 1, 200 ms after attempt 2
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(100);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(200);
    const read = await producer.getJob(job.id!);
    expect(await read?.getState()).toBe('failed');
    expect(read?.attemptsMade).toBe(3);
    expect(read?.failedReason).toBe('always');
    expect(read?.stacktrace).toHaveLength(3);
  });
  it("bullmq's getWorkers() lists Conveyor workers, named and unnamed (client names, wire-format §1.4)", async () => {
    const name = scope.name('b2c-workers');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    scope.track(new Worker(name, async () => 1, { connection: conveyorConnection(), name: 'conveyor-named' }));
    scope.track(new Worker(name, async () => 1, { connection: conveyorConnection() }));
    const workers = await until(
      'both workers to be listed',
      () => producer.getWorkers(),
      (list) => list.length === 2,
    );
    const base = `bull:${Buffer.from(name).toString('base64')}`;
    expect(workers.map((w) => w.rawname).sort()).toEqual([base, `${base}:w:conveyor-named`]);
    expect(workers.every((w) => w.name === name)).toBe(true);
    expect(await producer.getWorkersCount()).toBe(2);
  });
  it("releases bullmq's simple deduplication key when the owner job finishes", async () => {
    const name = scope.name('b2c-dedup');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const first = await producer.add('d', { n: 1 }, { deduplication: { id: 'S' } });
    const duplicate = await producer.add('d', { n: 2 }, { deduplication: { id: 'S' } });
    expect(duplicate.id).toBe(first.id);
    expect(await scope.redis.get(`bull:${name}:de:S`)).toBe(first.id);

    const worker = scope.track(new Worker(name, async (job: Job) => job.data.n, { connection: conveyorConnection() }));
    await once(worker, 'completed', 5000);
    expect(await scope.redis.exists(`bull:${name}:de:S`)).toBe(0);
    const next = await producer.add('d', { n: 3 }, { deduplication: { id: 'S' } });
    expect(next.id).not.toBe(first.id);
    const [job, result] = await once(worker, 'completed', 5000);
    expect(job.id).toBe(next.id);
    expect(result).toBe(3);
  });

  it('runs the job bullmq kept with keepLastIfActive once the active owner finishes (wire-format §7.2)', async () => {
    const name = scope.name('b2c-keeplast');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const { promise: held, resolve: release } = scope.gate();
    const seen: number[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          seen.push(job.data.n);
          if (job.data.n === 1) await held;
          return job.data.n;
        },
        { connection: conveyorConnection() },
      ),
    );
    const dedup = { deduplication: { id: 'K', keepLastIfActive: true } };
    const owner = await producer.add('k', { n: 1 }, dedup);
    await once(worker, 'active', 5000);
    await producer.add('k', { n: 2 }, dedup);
    await producer.add('k', { n: 3 }, { ...dedup, priority: 2 });
    expect(await scope.redis.hget(`bull:${name}:dn:K`, 'data')).toBe('{"n":3}');

    const both = times(worker, 'completed', 2, 5000);
    release();
    const [[firstJob], [keptJob, keptResult]] = await both;
    expect(firstJob.id).toBe(owner.id);
    expect(keptResult).toBe(3);
    expect(seen).toEqual([1, 3]);
    // the kept job got the id reserved for it when it was deduplicated, and its own options
    const kept = await producer.getJob(keptJob.id!);
    expect(kept?.id).toBe('3');
    expect(kept?.priority).toBe(2);
    expect(kept?.deduplicationId).toBe('K');
    expect(await scope.redis.exists(`bull:${name}:dn:K`)).toBe(0);
    expect(await scope.redis.exists(`bull:${name}:de:K`)).toBe(0);
    const events = (await streamEvents(scope.redis, name)).map((e) => `${e.event} ${e.jobId ?? ''}`.trim());
    expect(events).toEqual([
      'added 1',
      'waiting 1',
      'active 1',
      'deduplicated 1',
      'deduplicated 1',
      'added 3',
      'waiting 3',
      'completed 1',
      'active 3',
      'completed 3',
      'drained',
    ]);
  });
  it("honours bullmq's global concurrency (meta.concurrency) across a wide Conveyor worker", async () => {
    const name = scope.name('b2c-global-conc');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    await producer.setGlobalConcurrency(1);
    for (let i = 0; i < 6; i++) await producer.add('j', { i });
    let running = 0;
    let most = 0;
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          running += 1;
          most = Math.max(most, running);
          await new Promise((resolve) => setImmediate(resolve));
          running -= 1;
        },
        { connection: conveyorConnection(), concurrency: 4 },
      ),
    );
    await times(worker, 'completed', 6, 10000);
    expect(most).toBe(1);
  });

  it("honours bullmq's global rate limit (meta.max/duration)", async () => {
    const name = scope.name('b2c-global-rate');
    const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
    await producer.setGlobalRateLimit(2, 500);
    for (let i = 0; i < 6; i++) await producer.add('j', { i });
    const starts: number[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          starts.push(Date.now());
        },
        { connection: conveyorConnection(), concurrency: 6 },
      ),
    );
    await times(worker, 'completed', 6, 10000);
    // two jobs per 500 ms window: the third window opens at least 1000 ms after the first
    expect(starts[5] - starts[0]).toBeGreaterThanOrEqual(950);
    expect(starts[2] - starts[0]).toBeGreaterThanOrEqual(450);
  });
});
