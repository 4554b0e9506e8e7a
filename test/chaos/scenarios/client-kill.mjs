// Repeated CLIENT KILL TYPE normal: every producer and worker connection dropped at once.
import { between, hold } from '../lib/scenario.mjs';

// the producer adds faster than the two workers finish (~200 jobs/s), so jobs always wait
const OPTS = { concurrency: 4, lockDuration: 5000, stalledInterval: 2000, maxStalledCount: 5, jobMs: [20, 60] };

export default {
  name: 'client-kill',
  title: 'CLIENT KILL TYPE normal, repeated',
  faults: { short: 30, long: 500 },
  allowDuplicates: false,
  refetchTarget: true,
  // a fetch whose reply a kill cut off is taken back after the reconnect (worker/reclaim.ts), not
  // left to the stalled checker: no lock runs out here
  maxStalled: 0,
  async run(ctx, faults) {
    await ctx.producer({ rate: 300, parallel: 4, backlog: 300 });
    const workers = [await ctx.worker(OPTS), await ctx.worker(OPTS)];
    await Promise.all(workers.map((w) => w.waitFor('run', () => true, 20_000)));
    for (let i = 0; i < faults; i++) {
      await hold(between(50, 300));
      const waiting = await ctx.waiting();
      const killed = await ctx.admin.client('KILL', 'TYPE', 'normal');
      const at = Date.now();
      ctx.fault('CLIENT KILL TYPE normal', { killed });
      await ctx.measureRefetch(workers, at, undefined, { waiting });
    }
  },
};
