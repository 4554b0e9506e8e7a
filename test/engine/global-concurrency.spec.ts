// Global concurrency (meta.concurrency, wire-format §5, §10.3): a cap on active jobs across all
// workers of a queue, set, read and removed through the Queue.
import { ConveyorValidationError, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { work } from '../support/rates.js';
import { connection } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { until } from '../support/wait.js';
import { clientsNamed } from './queue-events.support.js';

/**
 * Waits until the queue's worker sits in BZPOPMIN on an empty marker: only a new marker (or its
 * drainDelay of 5 s) can wake it now.
 */
async function blockedOnMarker(scope: Scope, name: string): Promise<void> {
  const clientName = `bull:${Buffer.from(name).toString('base64')}`;
  await until(
    'the worker to block on an empty marker',
    async () => ({ clients: await clientsNamed(scope.redis, clientName), markers: await scope.redis.zcard(`bull:${name}:marker`) }),
    ({ clients, markers }) => markers === 0 && clients.length === 1 && clients[0].cmd === 'bzpopmin' && clients[0].flags.includes('b'),
  );
}

/** A worker whose jobs stay active until `release()`. */
function holdingWorker(scope: Scope, name: string, concurrency: number) {
  const { promise: held, resolve: release } = scope.gate();
  const worker = scope.track(new Worker(name, async () => held, { connection: connection(), concurrency }));
  return { worker, release };
}

describe('global concurrency', () => {
  const scope = scopePerTest();

  it('caps the jobs active at once across two wide workers', async () => {
    const name = scope.name('gc-cap');
    const queue = scope.queue(name);
    expect(await queue.getGlobalConcurrency()).toBeNull();
    expect(await queue.setGlobalConcurrency(2)).toBe(1);
    expect(await queue.getGlobalConcurrency()).toBe(2);
    expect(await scope.redis.hget(`bull:${name}:meta`, 'concurrency')).toBe('2');
    for (let i = 0; i < 12; i++) await queue.add('j', { i });
    let running = 0;
    let most = 0;
    const processor = async () => {
      running += 1;
      most = Math.max(most, running);
      await work(25);
      running -= 1;
    };
    const a = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 3 }));
    const b = scope.track(new Worker(name, processor, { connection: connection(), concurrency: 3 }));
    let completed = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${completed} of 12 jobs completed`)), 15_000);
      const count = () => {
        if (++completed === 12) {
          clearTimeout(timer);
          resolve();
        }
      };
      a.on('completed', count);
      b.on('completed', count);
    });
    expect(most).toBe(2);
  });

  it('isMaxed while the cap is reached; removeGlobalConcurrency wakes idle workers at once', async () => {
    const name = scope.name('gc-remove');
    const queue = scope.queue(name);
    await queue.setGlobalConcurrency(1);
    for (let i = 0; i < 3; i++) await queue.add('j', { i });
    const { worker } = holdingWorker(scope, name, 3);
    await times(worker, 'active', 1, 5000);
    await blockedOnMarker(scope, name);
    expect(await queue.isMaxed()).toBe(true);
    expect(await queue.getJobCounts('active', 'waiting')).toEqual({ active: 1, waiting: 2 });

    const more = times(worker, 'active', 2, 2500);
    expect(await queue.removeGlobalConcurrency()).toBe(1);
    await more;
    expect(await queue.getGlobalConcurrency()).toBeNull();
    expect(await queue.isMaxed()).toBe(false);
    expect(await queue.getJobCounts('active', 'waiting')).toEqual({ active: 3, waiting: 0 });
  });

  it('raising the cap lets more jobs start at once', async () => {
    const name = scope.name('gc-raise');
    const queue = scope.queue(name);
    await queue.setGlobalConcurrency(1);
    for (let i = 0; i < 4; i++) await queue.add('j', { i });
    const { worker } = holdingWorker(scope, name, 4);
    await times(worker, 'active', 1, 5000);
    await blockedOnMarker(scope, name);
    const more = times(worker, 'active', 2, 2500);
    expect(await queue.setGlobalConcurrency(3)).toBe(0);
    const started = await more;
    expect(started).toHaveLength(2);
    expect(await queue.isMaxed()).toBe(true);
    expect((await queue.getJobCounts('active')).active).toBe(3);
  });

  it('a finishing job hands its slot to the next one under the cap', async () => {
    const name = scope.name('gc-handover');
    const queue = scope.queue(name);
    await queue.setGlobalConcurrency(1);
    for (let i = 0; i < 5; i++) await queue.add('j', { i });
    const order: number[] = [];
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          order.push(job.data.i);
        },
        { connection: connection(), concurrency: 5 },
      ),
    );
    await times(worker, 'completed', 5, 10_000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects a bad cap with a clear error and writes nothing', async () => {
    const name = scope.name('gc-bad');
    const queue = scope.queue(name);
    await queue.setGlobalConcurrency(4);
    for (const [value, message] of [
      [0, /concurrency must be >= 1, got 0/],
      [-1, /concurrency must be >= 1, got -1/],
      [1.5, /concurrency must be an integer, got 1.5/],
      ['2', /concurrency must be an integer, got "2"/],
    ] as [unknown, RegExp][]) {
      const before = await snapshotQueue(scope.redis, name);
      const error = await queue.setGlobalConcurrency(value as number).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(ConveyorValidationError);
      expect(error?.message).toMatch(message);
      expect(await snapshotQueue(scope.redis, name)).toEqual(before);
    }
    expect(await queue.getGlobalConcurrency()).toBe(4);
  });
});
