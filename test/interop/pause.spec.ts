// Pausing a queue from one engine stops the other engine's worker (jobs stay in wait, v6 rule),
// and resuming restarts it at once (the resume writes the marker the idle worker blocks on).
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, bullCounts, conveyorConnection } from './support.js';

type Engine = 'bullmq' | 'conveyor';
const other = (engine: Engine): Engine => (engine === 'bullmq' ? 'conveyor' : 'bullmq');

describe('interop: pause and resume across engines', () => {
  const scope = scopePerTest('interop');

  // [who pauses, who resumes]; the worker always belongs to the engine that did not pause
  const cases: [Engine, Engine][] = [
    ['bullmq', 'conveyor'],
    ['conveyor', 'bullmq'],
    ['bullmq', 'bullmq'],
    ['conveyor', 'conveyor'],
  ];

  it.each(cases)("paused by %s, resumed by %s: the other engine's worker holds off, then runs everything", async (pauser, resumer) => {
    const name = scope.name(`pause-${pauser[0]}${resumer[0]}`);
    const queues = {
      bullmq: scope.track(new BullQueue(name, { connection: bullConnection() })),
      conveyor: scope.track(new Queue(name, { connection: conveyorConnection() })),
    };
    const workerEngine = other(pauser);
    const ran: string[] = [];
    const processor = async (job: { name: string }) => {
      ran.push(job.name);
      return job.name;
    };
    // drainDelay 1 s: an idle worker looks for jobs at least every second, marker or not
    const worker =
      workerEngine === 'bullmq'
        ? scope.track(new BullWorker(name, processor, { connection: bullConnection(), drainDelay: 1 }))
        : scope.track(new Worker(name, processor, { connection: conveyorConnection(), drainDelay: 1 }));
    await once(worker, 'drained', 5000);

    await queues[pauser].pause();
    expect(await queues.bullmq.isPaused()).toBe(true);
    expect(await queues.conveyor.isPaused()).toBe(true);
    // jobs added while paused by both engines, plain and prioritized
    await queues.bullmq.add('from-bullmq', {});
    await queues.conveyor.add('from-conveyor', {});
    await queues.bullmq.add('prio-from-bullmq', {}, { priority: 2 });
    await queues.conveyor.add('prio-from-conveyor', {}, { priority: 1 });

    // Proof that the worker fetched after the adds and took nothing: a short delayed job can only
    // be promoted by a worker's fetch (promotion happens even while paused, wire-format §7.3).
    const late = await queues.bullmq.add('was-delayed', {}, { delay: 200 });
    await until(
      'a fetch to promote the delayed job',
      () => streamEvents(scope.redis, name),
      (events) => events.some((e) => e.event === 'waiting' && e.jobId === late.id && e.prev === 'delayed'),
    );
    expect(ran).toEqual([]);
    const counts = await bullCounts(queues.bullmq, 'waiting', 'prioritized', 'active', 'delayed', 'paused');
    expect(counts).toEqual({ waiting: 3, prioritized: 2, active: 0, delayed: 0, paused: 0 });
    expect(await queues.conveyor.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'paused')).toEqual(counts);
    expect(await scope.redis.zscore(`bull:${name}:marker`, '0')).toBeNull();

    const all = times(worker, 'completed', 5, 5000);
    await queues[resumer].resume();
    await all;
    expect(await queues.bullmq.isPaused()).toBe(false);
    expect(await queues.conveyor.isPaused()).toBe(false);
    // wait holds [was-delayed, from-conveyor, from-bullmq] (promotion LPUSHes); prioritized come after
    expect(ran).toEqual(['from-bullmq', 'from-conveyor', 'was-delayed', 'prio-from-conveyor', 'prio-from-bullmq']);
    expect(await scope.redis.hexists(`bull:${name}:meta`, 'paused')).toBe(0);
    const events = (await streamEvents(scope.redis, name)).map((e) => e.event);
    expect(events.filter((e) => e === 'paused' || e === 'resumed')).toEqual(['paused', 'resumed']);
  });
});
