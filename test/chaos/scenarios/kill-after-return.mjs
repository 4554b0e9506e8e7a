// kill -9 between the processor returning and the finish call reaching Redis: at-least-once, so
// the job must run again elsewhere (a counted duplicate), and finish once.
import { between } from '../lib/scenario.mjs';

const OPTS = { lockDuration: 1000, stalledInterval: 500, maxStalledCount: 5, jobMs: [20, 80] };

export default {
  name: 'kill-after-return',
  title: 'kill -9 after return, before finish',
  faults: { short: 8, long: 150 },
  allowDuplicates: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 40, backlog: 100 });
    await ctx.worker({ ...OPTS, concurrency: 2 });
    for (let i = 0; i < faults; i++) {
      const victim = await ctx.worker({ ...OPTS, concurrency: 1, dieAfterReturns: between(1, 3) });
      const dying = await victim.waitFor('dying', () => true, 30_000);
      await victim.exited;
      ctx.fault('kill -9 after return', { victim: victim.pid, rerunJob: dying.id });
    }
  },
};
