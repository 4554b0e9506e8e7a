// Progress of every JobProgress type (number, string, boolean, object) written by either engine
// reads back the same through both, and both write the same hash field and events stream entry.
import { Job as BullJob, Queue as BullQueue } from 'bullmq';
import { Job, Queue } from '../../lib/index.js';
import { scopePerTest } from '../support/scope.js';
import { bullConnection, conveyorConnection } from './support.js';

const VALUES: unknown[] = [42, 0, 'hello, world!', '', '42', 'null', false, true, { total: 120, completed: 40 }, [1, 2], null];

describe('interop: job progress of any JSON type', () => {
  const scope = scopePerTest('interop');

  it.each(VALUES.map((value) => [JSON.stringify(value), value]))(
    '%s reads back the same whichever engine wrote it',
    async (_label, value) => {
      const name = scope.name('progress');
      const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const ours = scope.track(new Queue(name, { connection: conveyorConnection() }));
      const byBull = await BullJob.create(bull, 'b', {});
      const byUs = await Job.create(ours, 'c', {});
      await byBull.updateProgress(value as never);
      await byUs.updateProgress(value as never);

      const hash = (id: string) => scope.redis.hget(`bull:${name}:${id}`, 'progress');
      expect(await hash(byUs.id!)).toBe(await hash(byBull.id!));
      for (const id of [byBull.id!, byUs.id!]) {
        const readByBull = (await BullJob.fromId(bull, id))!.progress;
        const readByUs = (await Job.fromId(ours, id))!.progress;
        expect(readByUs).toEqual(readByBull);
      }
      const entries = await scope.redis.xrange(`bull:${name}:events`, '-', '+');
      const progressData = entries.filter(([, f]) => f[1] === 'progress').map(([, f]) => f.slice(2));
      expect(progressData).toEqual([
        ['jobId', byBull.id, 'data', JSON.stringify(value)],
        ['jobId', byUs.id, 'data', JSON.stringify(value)],
      ]);
    },
  );
});
