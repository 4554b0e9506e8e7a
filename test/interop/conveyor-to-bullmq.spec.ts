// Conveyor produces, a bullmq@6.7.0 worker consumes.
import { Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection, expectCompletedOnce, expectThirdTimeLucky } from './support.js';

describe('interop: Conveyor producer -> bullmq worker', () => {
  const scope = scopePerTest('interop');

  it('runs lifo first, then FIFO, then prioritized jobs in priority order, with results readable by Conveyor', async () => {
    const name = scope.name('c2b-order');
    const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
    await producer.add('plain', { n: 'A' });
    await producer.add('plain', { n: 'B' });
    await producer.add('lifo', { n: 'L' }, { lifo: true });
    await producer.addBulk([
      { name: 'prio', data: { n: 'P3' }, opts: { priority: 3 } },
      { name: 'prio', data: { n: 'P1' }, opts: { priority: 1 } },
      { name: 'prio', data: { n: 'P1b' }, opts: { priority: 1 } },
      { name: 'prio', data: { n: 'P2' }, opts: { priority: 2 } },
    ]);
    const custom = await producer.add('custom', { n: 'C' }, { jobId: 'my-custom-id' });
    expect(custom.id).toBe('my-custom-id');

    const seen: string[] = [];
    const worker = scope.track(
      new BullWorker(
        name,
        async (job: BullJob) => {
          seen.push(job.data.n);
          return { echo: job.data.n, name: job.name };
        },
        { connection: bullConnection(), autorun: false },
      ),
    );
    const done = times(worker, 'completed', 8, 10000);
    void worker.run();
    const completed = await done;

    expect(seen).toEqual(['L', 'A', 'B', 'C', 'P1', 'P1b', 'P2', 'P3']);
    await expectCompletedOnce(producer, completed);
    // bullmq's worker saw the ids Conveyor generated (INCR of the shared `id` counter)
    expect(completed.map(([job]) => job.id).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', 'my-custom-id']);
  });

  it('holds a delayed job until its due time, then runs it', async () => {
    const name = scope.name('c2b-delay');
    const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const worker = scope.track(new BullWorker(name, async () => Date.now(), { connection: bullConnection() }));
    await worker.waitUntilReady();
    const delayed = await producer.add('later', { x: 1 }, { delay: 700 });
    expect(await delayed.getState()).toBe('delayed');
    const immediate = await producer.add('now', { x: 2 });

    const [first] = await once(worker, 'completed', 5000);
    expect(first.id).toBe(immediate.id);
    const [second, ranAt] = await once(worker, 'completed', 5000);
    expect(second.id).toBe(delayed.id);
    expect(ranAt).toBeGreaterThanOrEqual(delayed.timestamp + 700);

    const read = await producer.getJob(delayed.id!);
    expect(read?.processedOn).toBeGreaterThanOrEqual(delayed.timestamp + 700);
    expect(read?.delay).toBe(0);
    expect(read?.opts.delay).toBe(700);
  });

  it('retries per Conveyor attempts + fixed backoff and completes on the third attempt', async () => {
    const name = scope.name('c2b-retry');
    const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const starts: number[] = [];
    const worker = scope.track(
      new BullWorker(
        name,
        async (job: BullJob) => {
          starts.push(Date.now());
          if (job.attemptsMade < 2) throw new Error(`boom ${job.attemptsMade}`);
          return 'third time lucky';
        },
        { connection: bullConnection() },
      ),
    );
    const completed = once(worker, 'completed', 10000);
    const job = await producer.add('flaky', { y: 1 }, { attempts: 3, backoff: { type: 'fixed', delay: 300 } });
    await completed;

    await expectThirdTimeLucky(producer, job.id!, starts);
  });

  it('fails a job for good after its attempts, with a bare-number backoff stored as fixed', async () => {
    const name = scope.name('c2b-fail');
    const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
    const starts: number[] = [];
    const worker = scope.track(
      new BullWorker(
        name,
        async () => {
          starts.push(Date.now());
          throw new Error('always');
        },
        { connection: bullConnection() },
      ),
    );
    const final = once(worker, 'failed', 10000, (job: BullJob | undefined) => job?.finishedOn !== undefined);
    const job = await producer.add('doomed', {}, { attempts: 2, backoff: 150 });
    await final;

    expect(starts).toHaveLength(2);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(150);
    const read = await producer.getJob(job.id!);
    expect(await read?.getState()).toBe('failed');
    expect(read?.attemptsMade).toBe(2);
    expect(read?.failedReason).toBe('always');
    expect(read?.stacktrace).toHaveLength(2);
  });
});
