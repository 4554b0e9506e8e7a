// Worker kill -9 mid-job: the job must come back (lock expiry + stalled checker) and finish once.
import { between, hold } from '../lib/scenario.mjs';

const OPTS = { lockDuration: 2000, stalledInterval: 1000, maxStalledCount: 5, jobMs: [150, 400] };

export default {
  name: 'worker-kill',
  title: 'worker kill -9 mid-job',
  faults: { short: 10, long: 150 },
  allowDuplicates: false,
  maxStalledCount: OPTS.maxStalledCount,
  /** lock expiry + two stalled checks, plus one job of the healthy worker ahead of it */
  recoveryBudgetMs: OPTS.lockDuration + 2 * OPTS.stalledInterval + OPTS.jobMs[1],
  async run(ctx, faults) {
    await ctx.producer({ rate: 40, backlog: 100 });
    await ctx.worker({ ...OPTS, concurrency: 2 });
    let victim = await ctx.worker({ ...OPTS, concurrency: 1 });
    for (let i = 0; i < faults; i++) {
      const run = await victim.waitFor('run', () => true, 20_000, { includeHistory: false });
      // somewhere inside its 150-400 ms of work
      await hold(between(0, 100));
      await victim.kill9();
      ctx.fault('kill -9 worker', { victim: victim.pid, recoverJob: run.id });
      victim = await ctx.worker({ ...OPTS, concurrency: 1 });
    }
  },
};
