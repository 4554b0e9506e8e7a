// Worker metrics (wire-format §10.4): the finish script's per-minute data points, driven through
// the script with a chosen clock (its `now` argument) so minute boundaries need no waiting; the
// worker option end to end; getMetrics; and no metrics work at all when the option is off.
import { runScript } from '../../lib/engine/core/scripts.js';
import { ConveyorValidationError, MetricsTime, Queue, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';

const MINUTE = 60_000;
/** 5 s into a minute (1_800_000_000_000 is a minute boundary). */
const T0 = 1_800_000_000_000 + 5_000;

/** A fresh job, taken and finished at `now` by the scripts themselves (the worker's clock seam). */
async function finishAt(
  scope: Scope,
  queue: Queue,
  now: number,
  maxDataPoints: number,
  target: 'completed' | 'failed' = 'completed',
): Promise<void> {
  const job = await queue.add('m', {});
  const token = `token-${job.id}`;
  const base = queue.keys.base;
  const fetched = (await runScript(scope.redis, 'moveToActive', [queue.keys.meta], [base, token, 30_000, now, 0, 0, '', 1])) as unknown[];
  expect(fetched[2]).toBe(job.id);
  const value = target === 'completed' ? 'null' : 'boom';
  const reply = await runScript(
    scope.redis,
    'moveToFinished',
    [job.key],
    [base, job.id!, token, now, target, value, -1, 0, 1000, 0, '', 0, 30_000, 0, 0, '', maxDataPoints],
  );
  expect(Array.isArray(reply)).toBe(true);
}

describe('metrics', () => {
  const scope = scopePerTest();

  it('MetricsTime has the preset data point counts', () => {
    expect({ ...MetricsTime }).toMatchObject({
      ONE_MINUTE: 1,
      FIVE_MINUTES: 5,
      FIFTEEN_MINUTES: 15,
      THIRTY_MINUTES: 30,
      ONE_HOUR: 60,
      ONE_WEEK: 10080,
      TWO_WEEKS: 20160,
      ONE_MONTH: 80640,
    });
  });

  it('counts every finish and pushes a data point per minute boundary passed, zero-filling idle minutes', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    const metrics = () => queue.getMetrics('completed');

    // 00:05 the first finish only starts the clock
    await finishAt(scope, queue, T0, 5);
    expect(await metrics()).toEqual({ meta: { count: 1, prevTS: T0, prevCount: 0 }, data: [], count: 0 });
    // 00:15, 00:55 same minute: counted, no data point
    await finishAt(scope, queue, T0 + 10_000, 5);
    await finishAt(scope, queue, T0 + 50_000, 5);
    expect(await metrics()).toEqual({ meta: { count: 3, prevTS: T0, prevCount: 0 }, data: [], count: 0 });
    // 01:05 one boundary: the 3 jobs of minute 00 become a data point (the one finishing now is not in it)
    await finishAt(scope, queue, T0 + MINUTE, 5);
    expect(await metrics()).toEqual({ meta: { count: 4, prevTS: T0 + MINUTE, prevCount: 3 }, data: [3], count: 1 });
    // 04:05 three boundaries: 1 job, then two idle minutes nearest the head
    await finishAt(scope, queue, T0 + 4 * MINUTE, 5);
    expect(await metrics()).toEqual({ meta: { count: 5, prevTS: T0 + 4 * MINUTE, prevCount: 4 }, data: [0, 0, 1, 3], count: 4 });
    // 104:05 a hundred boundaries: at most maxDataPoints values, and the list is trimmed to it
    await finishAt(scope, queue, T0 + 104 * MINUTE, 5);
    expect(await metrics()).toEqual({ meta: { count: 6, prevTS: T0 + 104 * MINUTE, prevCount: 5 }, data: [0, 0, 0, 0, 1], count: 5 });
    // a page of the data points, newest first, with the full length
    expect(await queue.getMetrics('completed', 3, 4)).toEqual({
      meta: { count: 6, prevTS: T0 + 104 * MINUTE, prevCount: 5 },
      data: [0, 1],
      count: 5,
    });
    // nothing for the other target
    expect(await queue.getMetrics('failed')).toEqual({ meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [], count: 0 });
    expect(await scope.redis.exists(queue.keys.key('metrics:failed'), queue.keys.key('metrics:failed:data'))).toBe(0);
  });

  it('a minute boundary counts, not sixty seconds: one millisecond across it makes a data point', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    const boundary = T0 - 5_000 + 7 * MINUTE;
    await finishAt(scope, queue, boundary - 1, 3);
    await finishAt(scope, queue, boundary - 1, 3);
    await finishAt(scope, queue, boundary, 3);
    expect(await queue.getMetrics('completed')).toEqual({ meta: { count: 3, prevTS: boundary, prevCount: 2 }, data: [2], count: 1 });
  });

  it('a clock behind the last data point only counts (no data point, prevTS kept)', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    await finishAt(scope, queue, T0 + 10 * MINUTE, 3);
    await finishAt(scope, queue, T0, 3);
    expect(await queue.getMetrics('completed')).toEqual({ meta: { count: 2, prevTS: T0 + 10 * MINUTE, prevCount: 0 }, data: [], count: 0 });
  });

  it('failed jobs have metrics of their own', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    await finishAt(scope, queue, T0, 3, 'failed');
    await finishAt(scope, queue, T0 + 2 * MINUTE, 3, 'failed');
    expect(await queue.getMetrics('failed')).toEqual({ meta: { count: 2, prevTS: T0 + 2 * MINUTE, prevCount: 1 }, data: [0, 1], count: 2 });
    expect(await queue.getMetrics('completed')).toEqual({ meta: { count: 0, prevTS: 0, prevCount: 0 }, data: [], count: 0 });
  });

  it('a month of idle minutes at ONE_MONTH data points is written in one finish (more values than Lua can unpack at once)', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    await finishAt(scope, queue, T0, MetricsTime.ONE_MONTH);
    await finishAt(scope, queue, T0 + 1_000, MetricsTime.ONE_MONTH);
    await finishAt(scope, queue, T0 + 200_000 * MINUTE, MetricsTime.ONE_MONTH);
    const { meta, data, count } = await queue.getMetrics('completed');
    expect(meta).toEqual({ count: 3, prevTS: T0 + 200_000 * MINUTE, prevCount: 2 });
    expect(count).toBe(MetricsTime.ONE_MONTH);
    expect(data).toHaveLength(MetricsTime.ONE_MONTH);
    expect(data[data.length - 1]).toBe(2);
    expect(data.slice(0, -1).every((n) => n === 0)).toBe(true);
  });

  it('the worker option records completed and failed jobs (a retry is no finish); data points follow the stored clock', async () => {
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          if (job.data.fail) throw new Error('no');
          return 1;
        },
        { connection: connection(), metrics: { maxDataPoints: MetricsTime.FIFTEEN_MINUTES }, autorun: false },
      ),
    );
    const settled = Promise.all([times(worker, 'completed', 2), times(worker, 'failed', 2)]);
    await queue.add('ok', {});
    await queue.add('ok', {}, { removeOnComplete: true });
    await queue.add('bad', { fail: true }, { attempts: 2 });
    void worker.run();
    await settled;
    const first = await queue.getMetrics('completed');
    expect(first).toMatchObject({ meta: { count: 2, prevCount: 0 }, data: [], count: 0 });
    expect(await queue.getMetrics('failed')).toMatchObject({ meta: { count: 1, prevCount: 0 }, data: [], count: 0 });

    // as if the first finish had been five minutes earlier
    const earlier = first.meta.prevTS - 5 * MINUTE;
    await scope.redis.hset(queue.keys.key('metrics:completed'), 'prevTS', earlier);
    const third = times(worker, 'completed', 1);
    await queue.add('ok', {});
    await third;
    const after = await queue.getMetrics('completed');
    const minutes = Math.floor(after.meta.prevTS / MINUTE) - Math.floor(earlier / MINUTE);
    expect(minutes).toBeGreaterThanOrEqual(5);
    expect(after).toEqual({
      meta: { count: 3, prevTS: after.meta.prevTS, prevCount: 2 },
      data: [...new Array(minutes - 1).fill(0), 2],
      count: minutes,
    });
  });

  it('with metrics off the finish touches no metrics key (not one Redis command); with them on it does', async () => {
    const plain = scope.name();
    const measured = scope.name();
    const monitors = [plain, measured].map((name) => new ScriptMonitor(name, ['moveToFinished']));
    for (const monitor of monitors) scope.track(await monitor.start());
    for (const [name, metrics] of [
      [plain, undefined],
      [measured, { maxDataPoints: 2 }],
    ] as const) {
      const queue = scope.track(new Queue(name, { connection: connection() }));
      const worker = scope.track(new Worker(name, async () => 1, { connection: connection(), metrics, autorun: false }));
      const done = times(worker, 'completed', 3);
      await queue.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: { n } })));
      void worker.run();
      await done;
    }
    for (const monitor of monitors) await monitor.settle(scope.redis);
    const [off, on] = monitors;
    expect(off.count('moveToFinished')).toBe(3);
    expect(off.commands.filter((c) => c.args.some((a) => a.includes(':metrics:')))).toEqual([]);
    expect(await scope.redis.keys(`bull:${plain}:metrics*`)).toEqual([]);
    expect(on.commands.filter((c) => c.args.some((a) => a.includes(':metrics:'))).length).toBeGreaterThanOrEqual(3);
    expect((await scope.redis.keys(`bull:${measured}:metrics*`)).sort()).toEqual([`bull:${measured}:metrics:completed`]);
  });

  describe('validation', () => {
    const bad: [unknown, string][] = [
      [{ maxDataPoints: 0 }, 'metrics.maxDataPoints must be >= 1, got 0'],
      [{ maxDataPoints: -5 }, 'metrics.maxDataPoints must be >= 1, got -5'],
      [{ maxDataPoints: 1.5 }, 'metrics.maxDataPoints must be an integer, got 1.5'],
      [{ maxDataPoints: '10' }, 'metrics.maxDataPoints must be an integer, got "10"'],
      [{ maxDataPoints: 10, keep: 1 }, 'metrics.keep is not a known option (maxDataPoints), got 1'],
      [10, 'metrics must be { maxDataPoints }, got 10'],
      [null, 'metrics must be { maxDataPoints }, got null'],
    ];

    it.each(bad)('Worker refuses metrics %p before connecting', (metrics, message) => {
      expect(() => new Worker(scope.name(), async () => 1, { connection: connection(), metrics: metrics as never })).toThrow(
        new ConveyorValidationError(message),
      );
    });

    it('metrics: {} is accepted and records nothing (as in BullMQ)', async () => {
      const name = scope.name();
      const queue = scope.track(new Queue(name, { connection: connection() }));
      const worker = scope.track(new Worker(name, async () => 1, { connection: connection(), metrics: {}, autorun: false }));
      const done = times(worker, 'completed', 1);
      await queue.add('j', {});
      void worker.run();
      await done;
      expect(await scope.redis.keys(`bull:${name}:metrics*`)).toEqual([]);
    });

    it('getMetrics refuses an unknown type and a range that is not integers', async () => {
      const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
      await expect(queue.getMetrics('waiting' as never)).rejects.toThrow(
        new ConveyorValidationError(`metrics type must be 'completed' or 'failed', got "waiting"`),
      );
      await expect(queue.getMetrics('completed', 0.5)).rejects.toThrow(new ConveyorValidationError('start must be an integer, got 0.5'));
      await expect(queue.getMetrics('completed', 0, '2' as never)).rejects.toThrow(
        new ConveyorValidationError('end must be an integer, got "2"'),
      );
    });
  });
});
