// redis-server kill -9 under load, restarted on the same port and directory (AOF, fsync always):
// every acknowledged add must survive, and workers must fetch again at once.
import { between, hold } from '../lib/scenario.mjs';

const OPTS = { concurrency: 4, lockDuration: 5000, stalledInterval: 2000, maxStalledCount: 5, jobMs: [20, 60] };

export default {
  name: 'redis-kill',
  title: 'Redis kill -9 + restart (same dir)',
  faults: { short: 5, long: 50 },
  allowDuplicates: false,
  refetchTarget: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 150, parallel: 4, backlog: 300 });
    await ctx.producer({ rate: 150, parallel: 4, backlog: 300 });
    const workers = [await ctx.worker(OPTS), await ctx.worker(OPTS)];
    for (let i = 0; i < faults; i++) {
      await Promise.all(workers.map((w) => w.waitFor('run', () => true, 20_000, { includeHistory: false })));
      await hold(between(100, 600));
      const waiting = await ctx.waiting();
      await ctx.redis.kill9();
      const at = Date.now();
      await ctx.redis.start();
      const back = Date.now();
      ctx.fault('kill -9 redis', { downMs: back - at });
      await ctx.measureRefetch(workers, back, undefined, { waiting });
    }
  },
};
