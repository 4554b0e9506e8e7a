// Worker frozen (SIGSTOP) until another worker took its job over, which needs the lock to expire:
// so always longer than lockDuration. After SIGCONT its late finish must be refused.
const OPTS = { lockDuration: 1000, stalledInterval: 500, maxStalledCount: 5, jobMs: [200, 400] };

export default {
  name: 'worker-sigstop',
  title: 'worker SIGSTOP > lockDuration, SIGCONT',
  faults: { short: 3, long: 40 },
  allowDuplicates: true,
  async run(ctx, faults) {
    await ctx.producer({ rate: 40, backlog: 100 });
    const healthy = await ctx.worker({ ...OPTS, concurrency: 2 });
    const victim = await ctx.worker({ ...OPTS, concurrency: 1 });
    for (let i = 0; i < faults; i++) {
      const run = await victim.waitFor('run', () => true, 20_000, { includeHistory: false });
      victim.signal('SIGSTOP');
      const at = Date.now();
      let takenAt;
      try {
        takenAt = (await healthy.waitFor('run', (m) => m.id === run.id && m.at >= at, 20_000)).at;
      } catch {
        ctx.note(`job ${run.id} of the frozen worker was not taken over within 20 s`);
      }
      victim.signal('SIGCONT');
      ctx.fault('SIGSTOP worker', { victim: victim.pid, jobId: run.id, frozenMs: Date.now() - at, takeoverMs: takenAt && takenAt - at });
      // its finish of the taken-over job must be refused (missing lock / lock mismatch)
      try {
        await victim.waitFor('error', (m) => m.at >= at && m.message.includes(`job ${run.id}`) && /lock/i.test(m.message), 10_000);
      } catch {
        ctx.note(`the frozen worker reported no lock error for job ${run.id} after SIGCONT`);
        ctx.metrics.missedRefusals = (ctx.metrics.missedRefusals ?? 0) + 1;
      }
    }
  },
};
