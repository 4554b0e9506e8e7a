// SIGTERM with a handler that calls close(): the jobs in hand finish, nothing new starts, nothing
// is left in active, nothing stalls, nothing runs twice.
import { between, hold } from '../lib/scenario.mjs';

const OPTS = { lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 1, jobMs: [50, 500] };

export default {
  name: 'sigterm-close',
  title: 'SIGTERM, handler calls close()',
  faults: { short: 8, long: 100 },
  allowDuplicates: false,
  zeroStalled: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 80, backlog: 200 });
    await ctx.worker({ ...OPTS, concurrency: 2 });
    let victim = await ctx.worker({ ...OPTS, concurrency: 4 });
    for (let i = 0; i < faults; i++) {
      await victim.waitFor('run', () => true, 20_000, { includeHistory: false });
      await hold(between(0, 200));
      victim.signal('SIGTERM');
      const begin = await victim.waitFor('close-begin', () => true, 5000);
      try {
        await victim.waitExit(15_000);
      } catch {
        ctx.metrics.hungCloses += 1;
        ctx.note(`worker ${victim.pid} did not exit within 15 s of close() beginning`);
        await victim.kill9();
      }
      const left = await ctx.activeLockedBy(victim.workerId);
      ctx.metrics.leftActiveByClose += left.length;
      if (left.length) ctx.note(`worker ${victim.pid} left job(s) ${left.join(',')} in active after close()`);
      ctx.fault('SIGTERM worker', { victim: victim.pid, closeMs: Date.now() - begin.at });
      victim = await ctx.worker({ ...OPTS, concurrency: 4 });
    }
  },
};
