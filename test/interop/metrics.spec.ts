// Differential test of worker metrics: the same jobs go through a bullmq Worker (metrics on) on one
// queue and a Conveyor Worker (metrics on) on another; the metrics hashes and data lists must
// match, and each engine's getMetrics reads the other's queue as that engine does. Minute
// boundaries are made by moving the stored prevTS back between phases (no waiting), and a run
// that happens to straddle a real minute boundary is done again (it would add a data point).
import type { EventEmitter } from 'node:events';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

const MINUTE = 60_000;
const MAX_DATA_POINTS = 4;

interface Step {
  name: 'ok' | 'bad';
  opts?: Record<string, unknown>;
}

/** Phases of jobs; before each phase but the first, prevTS moves back by `shiftMinutes`. */
const PHASES: { shiftMinutes: number; steps: Step[] }[] = [
  {
    shiftMinutes: 0,
    steps: [
      { name: 'ok' },
      { name: 'ok', opts: { removeOnComplete: true } },
      { name: 'ok' },
      { name: 'bad' },
      { name: 'bad', opts: { attempts: 2, removeOnFail: true } },
    ],
  },
  { shiftMinutes: 2, steps: [{ name: 'ok' }, { name: 'bad' }, { name: 'ok' }] },
  // more minutes than data points: capped at MAX_DATA_POINTS values
  { shiftMinutes: 30, steps: [{ name: 'ok' }] },
];

async function processor(job: { name: string }): Promise<string> {
  if (job.name === 'bad') throw new Error('bad job');
  return 'done';
}

interface Side {
  queueName: string;
  producer: BullQueue;
  worker: EventEmitter & { run(): Promise<unknown> };
}

interface Recorded {
  hash: Record<string, string>;
  data: string[];
}

describe('interop: metrics recorded by bullmq and Conveyor workers', () => {
  const scope = scopePerTest('interop');

  function side(engine: 'bullmq' | 'conveyor'): Side {
    const queueName = scope.name(`metrics-${engine}`);
    const producer = scope.track(new BullQueue(queueName, { connection: bullConnection() }));
    const opts = { metrics: { maxDataPoints: MAX_DATA_POINTS }, autorun: false };
    const worker =
      engine === 'bullmq'
        ? scope.track(new BullWorker(queueName, processor, { connection: bullConnection(), ...opts }))
        : scope.track(new Worker(queueName, processor, { connection: conveyorConnection(), ...opts }));
    return { queueName, producer, worker: worker as unknown as Side['worker'] };
  }

  async function runPhase(s: Side, steps: Step[]): Promise<void> {
    const completed = steps.filter((st) => st.name === 'ok').length;
    const failedAttempts = steps.filter((st) => st.name === 'bad').reduce((n, st) => n + Number(st.opts?.attempts ?? 1), 0);
    const settled = Promise.all([
      completed > 0 && times(s.worker, 'completed', completed),
      failedAttempts > 0 && times(s.worker, 'failed', failedAttempts),
    ]);
    for (const st of steps) await s.producer.add(st.name, {}, st.opts);
    await settled;
  }

  async function shiftPrevTS(s: Side, minutes: number): Promise<void> {
    for (const target of ['completed', 'failed']) {
      const key = `bull:${s.queueName}:metrics:${target}`;
      const prevTS = await scope.redis.hget(key, 'prevTS');
      if (prevTS !== null) await scope.redis.hset(key, 'prevTS', Number(prevTS) - minutes * MINUTE);
    }
  }

  async function recorded(s: Side, target: string): Promise<Recorded> {
    const key = `bull:${s.queueName}:metrics:${target}`;
    return { hash: await scope.redis.hgetall(key), data: await scope.redis.lrange(`${key}:data`, 0, -1) };
  }

  /** Runs every phase on both engines side by side; undefined if a real minute boundary passed meanwhile. */
  async function runBoth(): Promise<{ sides: Side[]; startedAt: number } | undefined> {
    const sides = [side('bullmq'), side('conveyor')];
    for (const s of sides) void s.worker.run();
    const startedAt = Date.now();
    for (const [i, phase] of PHASES.entries()) {
      if (i > 0) await Promise.all(sides.map((s) => shiftPrevTS(s, phase.shiftMinutes)));
      await Promise.all(sides.map((s) => runPhase(s, phase.steps)));
    }
    return Math.floor(startedAt / MINUTE) === Math.floor(Date.now() / MINUTE) ? { sides, startedAt } : undefined;
  }

  it('the same jobs leave the same metrics hashes and data points', async () => {
    let run: Awaited<ReturnType<typeof runBoth>>;
    for (let attempt = 1; !(run = await runBoth()); attempt++) {
      if (attempt === 3) throw new Error('three runs in a row straddled a minute boundary');
    }
    const { sides, startedAt } = run;
    const [bull, ours] = sides;
    for (const target of ['completed', 'failed']) {
      const theirs = await recorded(bull, target);
      const mine = await recorded(ours, target);
      expect({ ...mine.hash, prevTS: 'masked' }).toEqual({ ...theirs.hash, prevTS: 'masked' });
      expect(mine.data).toEqual(theirs.data);
      // the last data point was taken during this run (failed: then moved back by the last phase's shift)
      const earliest = startedAt - (target === 'failed' ? PHASES[2].shiftMinutes * MINUTE : 0);
      for (const r of [theirs, mine]) expect(Number(r.hash.prevTS)).toBeGreaterThanOrEqual(earliest);
    }
    // and what both recorded is what §10.4 says
    expect(await recorded(ours, 'completed')).toEqual({
      hash: { count: '6', prevCount: '5', prevTS: expect.any(String) },
      data: ['0', '0', '0', '2'],
    });
    expect(await recorded(ours, 'failed')).toEqual({
      hash: { count: '3', prevCount: '2', prevTS: expect.any(String) },
      data: ['0', '2'],
    });
  });

  it("each engine's getMetrics reads the other's metrics as the other does", async () => {
    const sides = [side('bullmq'), side('conveyor')];
    for (const s of sides) void s.worker.run();
    for (const [i, phase] of PHASES.entries()) {
      if (i > 0) await Promise.all(sides.map((s) => shiftPrevTS(s, phase.shiftMinutes)));
      await Promise.all(sides.map((s) => runPhase(s, phase.steps)));
    }
    const readers = {
      bullmq: (name: string) => scope.track(new BullQueue(name, { connection: bullConnection() })),
      conveyor: (name: string) => scope.track(new Queue(name, { connection: conveyorConnection() })),
    };
    for (const s of sides) {
      const theirs = readers.bullmq(s.queueName);
      const mine = readers.conveyor(s.queueName);
      for (const target of ['completed', 'failed'] as const) {
        for (const [start, end] of [
          [0, -1],
          [1, 2],
          [0, 0],
          [-2, -1],
        ]) {
          expect(await mine.getMetrics(target, start, end)).toEqual(await theirs.getMetrics(target, start, end));
        }
      }
      const full = await mine.getMetrics('completed');
      expect(full.count).toBe(full.data.length);
      expect(full.meta.count).toBe(6);
    }
    // a queue nobody recorded metrics on reads the same, empty
    const empty = scope.name('metrics-none');
    expect(await readers.conveyor(empty).getMetrics('failed')).toEqual(await readers.bullmq(empty).getMetrics('failed'));
  });
});
