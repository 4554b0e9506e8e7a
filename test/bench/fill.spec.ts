// The benchmark's deep-queue fill (bench/fill.mjs) against each engine's own addBulk: the same job
// hashes (but for the timestamp), the same wait list or prioritized scores, the same counters, and
// jobs the engine's worker then runs in order. A fill that drifts from what add writes would make
// the deep cases measure something else.
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { within } from '../support/wait.js';

/** bench/ is plain JavaScript without declarations: loaded by URL, typed by hand. */
interface FillModule {
  fillQueue(admin: { client: unknown }, queue: unknown, name: string, depth: number, opts: { priority?: number }): Promise<void>;
}
const loadFill = async (): Promise<FillModule> => (await import(new URL('../../bench/fill.mjs', import.meta.url).href)) as FillModule;

/** The prefix the benchmark's queues live under (bench/sides.mjs). */
const PREFIX = 'bench';
const DEPTH = 40;

type Engine = 'conveyor' | 'bullmq';
const ENGINES: Engine[] = ['conveyor', 'bullmq'];

describe('bench deep-queue fill', () => {
  const scope = scopePerTest('fill');

  const queueOf = (engine: Engine, name: string) =>
    scope.track(
      engine === 'conveyor'
        ? new Queue(name, { connection: connection(), prefix: PREFIX })
        : new BullQueue(name, { connection: connection(), prefix: PREFIX }),
    );

  /**
   * Every job-related key of a queue, with the timestamps (the one field the copies share) left
   * out, and the id counter only as "past every job": Conveyor's producers reserve ids in blocks
   * (lib/engine/job/ids.ts), so where the counter stands depends on the producer's rate.
   */
  async function snapshot(name: string, prioritized: boolean) {
    const key = (suffix: string) => `${PREFIX}:${name}:${suffix}`;
    const jobs: Record<string, string>[] = [];
    for (let id = 1; id <= DEPTH; id++) {
      const { timestamp, ...fields } = await scope.redis.hgetall(key(String(id)));
      expect(Number(timestamp)).toBeGreaterThan(0);
      jobs.push(fields);
    }
    return {
      jobs,
      queue: prioritized ? await scope.redis.zrange(key('prioritized'), 0, -1, 'WITHSCORES') : await scope.redis.lrange(key('wait'), 0, -1),
      idPastJobs: Number(await scope.redis.get(key('id'))) >= DEPTH,
      pc: await scope.redis.get(key('pc')),
    };
  }

  for (const engine of ENGINES) {
    for (const priority of [0, 3]) {
      const kind = priority ? 'prioritized' : 'waiting';
      it(`${engine}: ${kind} jobs as the engine's addBulk writes them, run in order by its worker`, async () => {
        const { fillQueue } = await loadFill();
        const opts = priority ? { priority } : {};
        const filled = scope.name(`fill-${engine}`, PREFIX);
        const added = scope.name(`bulk-${engine}`, PREFIX);
        const fillQ = queueOf(engine, filled);
        const bulkQ = queueOf(engine, added);
        await fillQueue({ client: scope.redis }, fillQ, filled, DEPTH, opts);
        await bulkQ.addBulk(Array.from({ length: DEPTH }, (_, i) => ({ name: 'bench', data: { i }, opts })));

        expect(await snapshot(filled, priority > 0)).toEqual(await snapshot(added, priority > 0));

        const seen: number[] = [];
        let allDone: () => void = () => {};
        const done = new Promise<void>((resolve) => (allDone = resolve));
        const processor = async (job: { data: { i: number } }) => {
          seen.push(job.data.i);
          if (seen.length === DEPTH) allDone();
        };
        const worker = scope.track(
          engine === 'conveyor'
            ? new Worker(filled, processor, { connection: connection(), prefix: PREFIX })
            : new BullWorker(filled, processor, { connection: connection(), prefix: PREFIX }),
        );
        await within(done, 10_000, `${DEPTH} filled jobs processed`);
        await worker.close();
        expect(seen).toEqual(Array.from({ length: DEPTH }, (_, i) => i));
      });
    }
  }

  it('refuses a fill the engine would not have written (a queue that is not empty)', async () => {
    const { fillQueue } = await loadFill();
    const name = scope.name('fill-dirty', PREFIX);
    const queue = queueOf('conveyor', name);
    await queue.add('bench', { i: -1 });
    await expect(fillQueue({ client: scope.redis }, queue, name, DEPTH, {})).rejects.toThrow(/does not match the engine's own add/);
  });
});
