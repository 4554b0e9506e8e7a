// maxmemory + noeviction under load: Redis refuses writes for longer than a lock lives. Adds must
// fail loudly and nothing may be half-written; a worker whose fetches are refused reports it at a
// bounded rate and resumes by itself once Redis accepts writes again; the jobs in hand keep their
// locks (renewals must not be refused) and run once.
import { loadScript } from '../../../dist/engine/core/scripts.js';
import { hold } from '../lib/scenario.mjs';

// jobs often outlive a lock without renewal, and the refusal outlives the lock
const OPTS = { concurrency: 2, lockDuration: 2000, stalledInterval: 1000, maxStalledCount: 5, jobMs: [500, 2500] };
const REFUSED_MS = 3000;
const FETCH_SHA = loadScript('moveToActive').sha;

export default {
  name: 'oom',
  title: 'maxmemory + noeviction under load',
  faults: { short: 2, long: 15 },
  allowDuplicates: false,
  oomTarget: true,
  async run(ctx, faults) {
    // adds all the time (no backlog cap), slowly: memory grows a little per fault
    const producer = await ctx.producer({ rate: 20, parallel: 1, backlog: 1e9 });
    const workers = [await ctx.worker(OPTS), await ctx.worker(OPTS)];
    for (let i = 0; i < faults; i++) {
      await producer.waitFor('ack', () => true, 20_000, { includeHistory: false });
      const info = await ctx.admin.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
      const at = Date.now();
      // below what is in use: every write that could grow memory is refused from now on
      await ctx.admin.config('SET', 'maxmemory', String(Math.max(1024 * 1024, used - 256 * 1024)));
      await producer.waitFor('add-error', (m) => m.at >= at && /OOM/.test(m.message), 30_000);
      const refusedAt = Date.now();
      // a worker that starts now finds work it cannot take: its fetches are refused
      const fresh = await ctx.worker(OPTS);
      await hold(REFUSED_MS);
      await ctx.admin.config('SET', 'maxmemory', '0');
      const liftAt = Date.now();
      ctx.fault('maxmemory reached', { refusedMs: liftAt - refusedAt });
      const fetchRefused = [];
      for (const w of [...workers, fresh]) {
        // the fresh worker is counted from its start (its process took a while to load)
        const from = w === fresh ? (fresh.history.find((m) => m.t === 'ready')?.at ?? refusedAt) : refusedAt;
        const errors = w.history.filter((m) => m.t === 'error' && m.at >= from && m.at <= liftAt);
        if (errors.length) ctx.metrics.oomErrorRates.push(errors.length / ((liftAt - from) / 1000));
        if (errors.some((m) => /^OOM/.test(m.message) && m.message.includes(FETCH_SHA))) fetchRefused.push(w);
        else if (w === fresh) ctx.note(`the worker started while Redis refused writes saw no refused fetch (${errors.length} errors)`);
      }
      await ctx.measureRefetch(fetchRefused, liftAt, ctx.metrics.oomResumeGaps);
      await fresh.stop();
    }
  },
};
