// A fetched job's hash travels from the script as one JSON text (lua/includes/fetchJobs.lua): what
// the worker builds from it must be what HGETALL of the same hash gives, whatever the fields hold.
import { jobDataFromHash } from '../../lib/engine/job/job-data.js';
import { Job } from '../../lib/engine/job/job.js';
import { Worker } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { partsFixture, takeJobs } from './worker-parts-support.js';

describe('fetch reply', () => {
  const scope = scopePerTest();

  const odd = 'quote " backslash \\ slash / nul \u0000 newline \n tab \t del \u007f é ß 中文 😀 \ud7ff';

  it('a job taken holds the same fields as the stored hash, odd characters and all', async () => {
    const fx = await partsFixture(scope, { name: `worker ${odd}` });
    await fx.queue.add(`name ${odd}`, { text: odd, list: [odd, 1, null], nested: { [odd]: true } }, { jobId: `id ${odd}`, attempts: 3 });
    await fx.queue.add('plain', 42);
    const taken = await takeJobs(fx, 2);
    expect(taken.map((j) => j.id)).toEqual([`id ${odd}`, expect.any(String)]);
    for (const job of taken) {
      const stored = await Job.fromId(fx.queue, job.id!);
      const { token: _t, ...fields } = job;
      const { token: _s, ...storedFields } = stored!;
      expect(fields).toEqual(storedFields);
    }
    expect(taken[0].name).toBe(`name ${odd}`);
    expect(taken[0].data).toEqual({ text: odd, list: [odd, 1, null], nested: { [odd]: true } });
    expect(taken[0].processedBy).toBe(`worker ${odd}`);
    expect(taken[1].data).toBe(42);
  });

  it('bytes that are not UTF-8 read as they do through HGETALL', async () => {
    const fx = await partsFixture(scope);
    const job = await fx.queue.add('bytes', {});
    await scope.redis.hset(job.key, 'failedReason', Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xe2, 0x82]));
    const [taken] = await takeJobs(fx, 1);
    const stored = await Job.fromId(fx.queue, job.id!);
    expect(taken.failedReason).toBe(stored!.failedReason);
  });

  it("a fetch-next's job data (moveToCompleted) is what the stored hash gives, flat or by field", async () => {
    const queue = scope.queue();
    const w = scope.track(new Worker(queue.name, null, { connection: connection(), autorun: false, name: 'hand' }));
    await queue.addBulk([
      { name: 'first', data: {} },
      { name: `second ${odd}`, data: { text: odd }, opts: { attempts: 3, backoff: 10, removeOnComplete: { count: 5 } } },
    ]);
    const job = (await w.getNextJob('tok'))!;
    const [data, id] = await job.moveToCompleted('ok', 'tok', true);
    const key = `bull:${queue.name}:${id}`;
    const flat = (await scope.redis.call('HGETALL', key)) as string[];
    expect(data).toEqual(jobDataFromHash(flat));
    expect(data).toEqual(jobDataFromHash(await scope.redis.hgetall(key)));
    expect(data).toMatchObject({ name: `second ${odd}`, data: JSON.stringify({ text: odd }), attemptsStarted: 1, processedBy: 'hand' });
  });
});
