// The bullmq 6.7 getters Conveyor added, asked of one queue through both engines: the same
// answers (ranges of every sign, backfilled pages, delayed cut-offs, dependencies, meta, orphans).
import { FlowProducer, Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue } from '../../lib/index.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

describe('queue getters: Conveyor answers as bullmq for the same queue', () => {
  const scope = scopePerTest('interop');

  function both(name: string) {
    return {
      ours: scope.track(new Queue(name, { connection: conveyorConnection(), skipMetasUpdate: true })),
      theirs: scope.track(new BullQueue(name, { connection: bullConnection(), skipMetasUpdate: true })),
    };
  }

  it('pages jobs for every range bullmq takes, ascending and descending, lists and sorted sets, with holes filled', async () => {
    const name = scope.name();
    const { ours, theirs } = both(name);
    const added = [];
    for (let i = 0; i < 6; i++) added.push(await theirs.add('w', { i }));
    for (let i = 0; i < 5; i++) added.push(await theirs.add('d', { i }, { delay: 60_000 + i }));
    const ranges: [number, number][] = [
      [0, -1],
      [-3, -1],
      [-300, 99_999],
      [1, 2],
      [-2, -1],
      [0, -2],
      [-5, 2],
      [3, 1],
      [2, -3],
      [-1, 0],
      [4, 100],
      [0, 0],
    ];
    const ids = (jobs: { id?: string }[]) => jobs.map((j) => j.id);
    const compare = async () => {
      for (const asc of [true, false]) {
        for (const [start, end] of ranges) {
          for (const types of [['waiting'], ['delayed'], ['waiting', 'delayed']] as const) {
            const label = `${types.join('+')} ${start}..${end} ${asc ? 'asc' : 'desc'}`;
            expect([label, ids(await ours.getJobs([...types], start, end, asc))]).toEqual([
              label,
              ids(await theirs.getJobs([...types], start, end, asc)),
            ]);
          }
        }
      }
    };
    await compare();
    // job hashes gone while their ids stay listed: pages are filled up the same way
    await scope.redis.del(`bull:${name}:${added[1].id}`, `bull:${name}:${added[2].id}`, `bull:${name}:${added[7].id}`);
    await compare();
    expect(await ours.getRanges(['waiting', 'delayed', 'wait'], 0, 1, true)).toEqual(
      await theirs.getRanges(['waiting', 'delayed', 'wait'], 0, 1, true),
    );
    // and job logs, with the same ranges
    const logged = added[0];
    for (const row of ['a', 'b', 'c', 'd', 'e']) await logged.log(row);
    for (const asc of [true, false]) {
      for (const [start, end] of ranges) {
        expect([start, end, asc, await ours.getJobLogs(logged.id!, start, end, asc)]).toEqual([
          start,
          end,
          asc,
          await theirs.getJobLogs(logged.id!, start, end, asc),
        ]);
      }
    }
  });

  it('counts delayed jobs before a timestamp as bullmq does', async () => {
    const name = scope.name();
    const { ours, theirs } = both(name);
    const now = Date.now();
    for (const delay of [1000, 2000, 3000]) await theirs.add('d', {}, { delay, timestamp: now });
    for (const cut of [undefined, 0, now, now + 1000, now + 1001, now + 2500, now + 3001]) {
      expect([cut, await ours.getDelayedCount(cut)]).toEqual([cut, await theirs.getDelayedCount(cut)]);
    }
  });

  it('reads the same meta and the same dependencies, pending and processed', async () => {
    const name = scope.name();
    const { ours, theirs } = both(name);
    await theirs.setGlobalConcurrency(4);
    await theirs.setGlobalRateLimit(10, 500);
    await theirs.pause();
    await scope.redis.hset(`bull:${name}:meta`, 'version', 'bullmq:6.7.0', 'opts.maxLenEvents', '500');
    expect(await ours.getMeta()).toEqual(await theirs.getMeta());
    expect(await ours.getVersion()).toBe(await theirs.getVersion());
    await theirs.resume();

    const flows = scope.track(new FlowProducer({ connection: bullConnection() }));
    const children = Array.from({ length: 5 }, (_, i) => ({ name: `c${i}`, queueName: name, data: { i }, opts: { jobId: `c${i}` } }));
    const { job: parent } = await flows.add({ name: 'parent', queueName: name, data: {}, children });
    const sorted = (deps: { items: { id: string }[]; jobs: unknown[]; total: number }) => {
      const pairs = deps.items.map((item, k) => [item, deps.jobs[k]] as const).sort(([a], [b]) => a.id.localeCompare(b.id));
      return { items: pairs.map(([item]) => item), jobs: pairs.map(([, job]) => job), total: deps.total };
    };
    for (const [start, end] of [
      [0, -1],
      [-3, -1],
      [0, -2],
      [5, 9],
    ] as [number, number][]) {
      expect(sorted(await ours.getDependencies(parent.id!, 'pending', start, end))).toEqual(
        sorted(await theirs.getDependencies(parent.id!, 'pending', start, end)),
      );
    }
    const worker = scope.track(new BullWorker(name, async (job) => ({ r: job.data.i ?? 'p' }), { connection: bullConnection() }));
    await new Promise<void>((resolve) => worker.on('completed', (job) => job.name === 'parent' && resolve()));
    for (const [start, end] of [
      [0, -1],
      [1, 3],
      [-2, 1],
      [0, -5],
    ] as [number, number][]) {
      expect(await ours.getDependencies(parent.id!, 'processed', start, end)).toEqual(
        await theirs.getDependencies(parent.id!, 'processed', start, end),
      );
    }
  });

  it('removes the same orphans (the job hashes and their sub-keys) as bullmq', async () => {
    const counts: number[] = [];
    for (const engine of ['bullmq', 'conveyor'] as const) {
      const name = scope.name();
      const { ours, theirs } = both(name);
      const base = `bull:${name}:`;
      await theirs.add('wait', {});
      await theirs.add('delayed', {}, { delay: 60_000 });
      await theirs.add('prioritized', {}, { priority: 2 });
      await theirs.add('custom', {}, { jobId: 'custom-id' });
      for (const id of ['9990', 'orphan-a', 'orphan-b']) await scope.redis.hset(base + id, 'name', 'orphan', 'data', '{}');
      await scope.redis.set(`${base}5555:logs`, 'x');
      await scope.redis.set(`${base}5555:lock`, 'x');
      await scope.redis.set(`${base}repeat:sched`, 'x');
      await scope.redis.set(`${base}de:dedup`, 'x');
      counts.push(engine === 'bullmq' ? await theirs.removeOrphanedJobs(2) : await ours.removeOrphanedJobs(2));
      const left = (await scope.redis.keys(`${base}*`)).map((k) => k.slice(base.length)).sort();
      expect([engine, left]).toEqual([
        engine,
        ['1', '2', '3', 'custom-id', 'de:dedup', 'delayed', 'events', 'id', 'marker', 'meta', 'pc', 'prioritized', 'repeat:sched', 'wait'],
      ]);
    }
    expect(counts).toEqual([4, 4]);
  });
});
