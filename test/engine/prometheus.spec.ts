// Queue.exportPrometheusMetrics: the same text as bullmq 6.7 prints for the same queue, so
// scrapers, dashboards and alerts built on BullMQ's series keep working.
import { Queue as BullQueue } from 'bullmq';
import { ConveyorValidationError, Queue, Worker, type Job } from '../../lib/index.js';
import { times } from '../support/events.js';
import { adminConnection, connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

const bullConnection = () => ({ ...adminConnection(), maxRetriesPerRequest: null });

describe('Queue.exportPrometheusMetrics', () => {
  const scope = scopePerTest();

  it('prints what bullmq prints for the same queue: a gauge per state, completed and failed counters, global labels', async () => {
    const queue = scope.queue();
    const worker = scope.track(
      new Worker(
        queue.name,
        async (job: Job) => {
          if (job.data.fail) throw new Error('no');
          return 'ok';
        },
        { connection: connection(), metrics: { maxDataPoints: 60 } },
      ),
    );
    const finished = Promise.all([times(worker, 'completed', 2), times(worker, 'failed', 1)]);
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
      { name: 'c', data: { fail: true } },
    ]);
    await finished;
    await worker.close();
    await queue.add('later', {}, { delay: 60_000 });
    await queue.add('now', {});

    const bull = scope.track(new BullQueue(queue.name, { connection: bullConnection() }));
    const labels = { env: 'prod', server: '1' };
    const text = await queue.exportPrometheusMetrics(labels);
    expect(text).toBe(await bull.exportPrometheusMetrics(labels));
    expect(text.split('\n')).toEqual([
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# TYPE bullmq_job_count gauge',
      ...['active 0', 'completed 2', 'delayed 1', 'failed 1', 'prioritized 0', 'waiting 1', 'waiting-children 0'].map((s) => {
        const [state, n] = s.split(' ');
        return `bullmq_job_count{queue="${queue.name}", state="${state}", env="prod", server="1"} ${n}`;
      }),
      '# HELP bullmq_job_completed_total Total number of completed jobs',
      '# TYPE bullmq_job_completed_total counter',
      `bullmq_job_completed_total{queue="${queue.name}", env="prod", server="1"} 2`,
      '# HELP bullmq_job_failed_total Total number of failed jobs',
      '# TYPE bullmq_job_failed_total counter',
      `bullmq_job_failed_total{queue="${queue.name}", env="prod", server="1"} 1`,
    ]);
    expect(await queue.exportPrometheusMetrics()).toBe(await bull.exportPrometheusMetrics());
  });

  it('escapes backslashes, double quotes and newlines in label values, as bullmq does', async () => {
    const name = scope.name('q"name\\with\nspecials');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const bull = scope.track(new BullQueue(name, { connection: bullConnection() }));
    const labels = { env: 'pro"d\\x\ny' };
    const text = await queue.exportPrometheusMetrics(labels);
    expect(text).toBe(await bull.exportPrometheusMetrics(labels));
    expect(text).toContain(`queue="${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
    expect(text).toContain('env="pro\\"d\\\\x\\ny"');
    expect(text.split('\n').every((line) => line.startsWith('#') || line.startsWith('bullmq_'))).toBe(true);
    // the scope's SCAN MATCH would read the backslash as an escape: remove the keys by name
    await queue.close();
    await bull.close();
    await scope.redis.del(...Object.values(queue.keys));
  });

  it("reads through the queue's own getJobCounts and getMetrics (a subclass or a stub answers)", async () => {
    const queue = scope.queue();
    queue.getJobCounts = async () => ({});
    queue.getMetrics = async (type) => ({ meta: { count: type === 'completed' ? 42 : 7, prevTS: 0, prevCount: 0 }, data: [], count: 0 });
    const text = await queue.exportPrometheusMetrics();
    expect(text.split('\n').filter((l) => l.startsWith('bullmq_job_count'))).toEqual([]);
    expect(text).toContain(`bullmq_job_completed_total{queue="${queue.name}"} 42`);
    expect(text).toContain(`bullmq_job_failed_total{queue="${queue.name}"} 7`);
  });

  it('refuses global variables that are not an object of labels', async () => {
    const queue = scope.queue();
    for (const bad of ['env=prod', null, ['a']]) {
      const err = await queue.exportPrometheusMetrics(bad as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(/^globalVariables must be an object of label names to values, got /);
    }
  });
});
