// redis-server stopped (SIGSTOP) for 5-15 s under load, then SIGCONT: a freeze longer than the
// locks, so jobs may run twice (counted), but none may be lost, stuck or half-written.
import { between, hold } from '../lib/scenario.mjs';

const OPTS = { concurrency: 4, lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5, jobMs: [20, 60] };

export default {
  name: 'redis-stop',
  title: 'Redis stopped (SIGSTOP) 5-15 s',
  faults: { short: 1, long: 5 },
  allowDuplicates: true,
  refetchTarget: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 250, parallel: 4, backlog: 300 });
    const workers = [await ctx.worker(OPTS), await ctx.worker(OPTS)];
    for (let i = 0; i < faults; i++) {
      await Promise.all(workers.map((w) => w.waitFor('run', () => true, 20_000, { includeHistory: false })));
      await hold(between(200, 800));
      const ms = between(5000, 15_000);
      const waiting = await ctx.waiting();
      ctx.redis.freeze();
      const at = Date.now();
      await hold(ms);
      ctx.redis.thaw();
      const back = Date.now();
      ctx.fault('SIGSTOP redis', { stoppedMs: back - at });
      await ctx.measureRefetch(workers, back, undefined, { waiting });
    }
  },
};
