// redis-server killed and kept down 5-15 s, then restarted on the same port and directory: the
// other reading of "Redis stopped". Longer than the locks, so jobs may run twice (counted); none
// may be lost, stuck or half-written, and workers must fetch again at once when Redis is back.
import { between, hold } from '../lib/scenario.mjs';

const OPTS = { concurrency: 4, lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5, jobMs: [20, 60] };

export default {
  name: 'redis-down',
  title: 'Redis killed, down 5-15 s, restarted',
  faults: { short: 1, long: 4 },
  allowDuplicates: true,
  refetchTarget: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 250, parallel: 4, backlog: 300 });
    const workers = [await ctx.worker(OPTS), await ctx.worker(OPTS)];
    for (let i = 0; i < faults; i++) {
      await Promise.all(workers.map((w) => w.waitFor('run', () => true, 20_000, { includeHistory: false })));
      await hold(between(200, 800));
      const waiting = await ctx.waiting();
      await ctx.redis.kill9();
      const at = Date.now();
      await hold(between(5000, 15_000));
      await ctx.redis.start();
      const back = Date.now();
      ctx.fault('Redis down', { downMs: back - at });
      await ctx.measureRefetch(workers, back, undefined, { waiting });
    }
  },
};
