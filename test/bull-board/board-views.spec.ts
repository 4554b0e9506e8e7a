// The board's read views over Conveyor queues, through its REST API on a real HTTP server
// (@bull-board/express): queue list, status tabs, job details and logs, flows, metrics, workers,
// default job options and Redis statistics. Responses are checked against bull-board's schemas
// (validateResponses), so a field of the wrong shape fails as a 500.
import { FlowProducer } from 'nestjs-conveyor';
import { ConveyorAdapter } from 'nestjs-conveyor/bull-board';
import { connection } from '../support/redis.js';
import { closedAfterEach } from '../support/scope.js';
import { until } from '../support/wait.js';
import { BoardScope, fillQueue } from './support/scope.js';

const BULLMQ6_STATUSES = ['latest', 'active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed'];

describe('bull-board views of Conveyor queues', () => {
  const scope = closedAfterEach(new BoardScope());

  it('lists each queue with its counts per status and the tabs of a BullMQ 6 queue (no paused tab)', async () => {
    const queue = scope.queue();
    const idle = scope.queue();
    await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue, idle]);

    const queues = await api.queues();
    expect(queues.map((q) => q.name).sort()).toEqual([queue.name, idle.name].sort());
    const listed = queues.find((q) => q.name === queue.name);
    expect(listed).toMatchObject({
      type: 'bullmq',
      statuses: BULLMQ6_STATUSES,
      counts: { active: 0, waiting: 2, 'waiting-children': 0, prioritized: 1, completed: 1, failed: 1, delayed: 1 },
      isPaused: false,
      readOnlyMode: false,
      allowRetries: true,
      allowCompletedRetries: true,
      globalConcurrency: null,
      activeRateLimitTtl: 0,
      supportsGlobalRateLimit: true,
      jobSchedulerCount: 0,
      hasWorkers: false,
      jobs: [],
    });
    expect(Object.keys(listed.counts).sort()).toEqual(BULLMQ6_STATUSES.slice(1).sort());
    // the counts are Redis', not the adapter's idea of them
    expect(listed.counts).toEqual(await queue.getJobCounts());
  });

  it('shows the jobs of each status tab, and latest across all of them', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);

    const idsOf = async (status: string) => (await api.queue(queue.name, status)).jobs.map((j: { id: string }) => j.id);
    expect(await idsOf('completed')).toEqual([ids.completed]);
    expect(await idsOf('failed')).toEqual([ids.failed]);
    expect((await idsOf('waiting')).sort()).toEqual([...ids.waiting].sort());
    expect(await idsOf('delayed')).toEqual([ids.delayed]);
    expect(await idsOf('prioritized')).toEqual([ids.prioritized]);
    expect(await idsOf('active')).toEqual([]);
    expect((await idsOf('latest')).sort()).toEqual([ids.completed, ids.failed, ...ids.waiting, ids.delayed, ids.prioritized].sort());

    // pages: one job per page, two waiting jobs make two pages
    const page = await api.get(`/api/queues?activeQueue=${encodeURIComponent(queue.name)}&status=waiting&jobsPerPage=1&page=2`);
    const listed = page.body.queues[0];
    expect(listed.pagination).toEqual({ pageCount: 2, range: { start: 1, end: 1 } });
    expect(listed.jobs).toHaveLength(1);
  });

  it('shows a job: data, options, progress, return value, failed reason, stack trace', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);

    const done = await api.get(api.queuePath(queue.name, `/${ids.completed}`));
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('completed');
    expect(done.body.job).toMatchObject({
      id: ids.completed,
      name: 'ok',
      data: { a: 1, b: 2 },
      returnValue: { sum: 3 },
      progress: { step: 2, of: 2 },
      attempts: 1,
      isFailed: false,
      opts: { attempts: 0 },
      stacktrace: [],
    });
    expect(done.body.job.finishedOn).toBeGreaterThanOrEqual(done.body.job.processedOn);

    const failed = await api.get(api.queuePath(queue.name, `/${ids.failed}`));
    expect(failed.body.status).toBe('failed');
    expect(failed.body.job).toMatchObject({
      id: ids.failed,
      name: 'bad',
      data: { x: 'y' },
      failedReason: 'planned failure',
      isFailed: true,
      opts: { attempts: 1 },
    });
    expect(failed.body.job.stacktrace[0]).toMatch(/^Error: planned failure\n/);

    const delayed = await api.get(api.queuePath(queue.name, `/${ids.delayed}`));
    expect(delayed.body).toMatchObject({ status: 'delayed', job: { delay: 3_600_000, opts: { delay: 3_600_000 } } });
    const prioritized = await api.get(api.queuePath(queue.name, `/${ids.prioritized}`));
    expect(prioritized.body).toMatchObject({ status: 'prioritized', job: { priority: 5 } });

    const missing = await api.get(api.queuePath(queue.name, '/no-such-job'));
    expect(missing).toEqual({ status: 404, body: { error: { key: 'ERRORS.JOB_NOT_FOUND' } } });
  });

  it("shows a job's logs", async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.get(api.queuePath(queue.name, `/${ids.completed}/logs`))).toEqual({
      status: 200,
      body: ['first line', 'second line'],
    });
    expect(await api.get(api.queuePath(queue.name, `/${ids.failed}/logs`))).toEqual({ status: 200, body: [] });
  });

  it('shows a flow from any of its jobs, across queues, with each node in its state', async () => {
    const parents = scope.queue(scope.name('parents'));
    const children = scope.queue(scope.name('children'));
    const flows = scope.track(new FlowProducer({ connection: connection() }));
    const tree = await flows.add({
      name: 'report',
      queueName: parents.name,
      data: {},
      children: [
        { name: 'part-a', queueName: children.name, data: {} },
        { name: 'part-b', queueName: children.name, data: {}, opts: { delay: 60_000 } },
      ],
    });
    const { api } = await scope.conveyorBoard([parents, children]);
    const childId = tree.children![0].job.id!;

    const answer = await api.get(api.queuePath(children.name, `/${childId}/flow`));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ nodeId: childId, isFlowNode: true });
    const root = answer.body.flowRoot;
    expect(root).toMatchObject({ id: tree.job.id, name: 'report', state: 'waiting-children', queueName: parents.name });
    expect(root.dependencies).toEqual({ processed: 0, unprocessed: 2, ignored: 0, failed: 0 });
    const nodes = root.children.map((c: { name: string; state: string; queueName: string }) => [c.name, c.state, c.queueName]).sort();
    expect(nodes).toEqual([
      ['part-a', 'waiting', children.name],
      ['part-b', 'delayed', children.name],
    ]);

    // a job outside any flow is a node of its own
    const single = await children.add('alone', {});
    const alone = await api.get(api.queuePath(children.name, `/${single.id}/flow`));
    expect(alone.body).toMatchObject({ nodeId: single.id, isFlowNode: false });
  });

  it('shows the completed and failed metrics the workers record', async () => {
    const queue = scope.queue();
    await queue.add('ok', {});
    await queue.add('bad', {});
    const worker = scope.worker(
      queue,
      async (job) => {
        if (job.name === 'bad') throw new Error('no');
        return 1;
      },
      { metrics: { maxDataPoints: 10 } },
    );
    await new Promise<void>((resolve) => {
      let finished = 0;
      const one = () => ++finished === 2 && resolve();
      worker.on('completed', one).on('failed', one);
    });
    const { api } = await scope.conveyorBoard([queue]);
    const answer = await api.get(api.queuePath(queue.name, '/metrics'));
    expect(answer.status).toBe(200);
    expect(answer.body.completed.meta.count).toBe(1);
    expect(answer.body.failed.meta.count).toBe(1);
    expect(answer.body.completed).toEqual(await queue.getMetrics('completed'));
  });

  it('lists the connected workers with the names they were given', async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.get(api.queuePath(queue.name, '/workers'))).toEqual({ status: 200, body: { workers: [] } });

    const named = scope.worker(queue, async () => 1, { name: 'mailer-1' });
    const unnamed = scope.worker(queue, async () => 1);
    await Promise.all([named.waitUntilReady(), unnamed.waitUntilReady()]);
    // the blocking connection names itself once the worker starts waiting for jobs
    const workers: { id: string; name: string | null; addr: string; age: number }[] = await until(
      'two workers listed',
      async () => (await api.get(api.queuePath(queue.name, '/workers'))).body.workers,
      (listed) => listed.length === 2,
    );
    expect(workers.map((w) => w.name).sort()).toEqual(['mailer-1', null].sort());
    for (const w of workers)
      expect(w).toEqual({
        id: expect.stringMatching(/^\d+$/),
        name: w.name,
        addr: expect.stringMatching(/:\d+$/),
        age: expect.any(Number),
      });
    expect((await api.queue(queue.name)).hasWorkers).toBe(true);

    await named.close();
    await unnamed.close();
    expect((await api.get(api.queuePath(queue.name, '/workers'))).body.workers).toEqual([]);
  });

  it("shows the queue's default job options", async () => {
    const defaultJobOptions = {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: 100,
      removeOnFail: { age: 3600 },
    };
    const queue = scope.queue(undefined, { defaultJobOptions });
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.get(api.queuePath(queue.name, '/default-job-options'))).toEqual({ status: 200, body: defaultJobOptions });
  });

  it("shows the Redis statistics of the queues' Redis", async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    const answer = await api.get('/api/redis/stats');
    expect(answer.status).toBe(200);
    const info = await scope.redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)![1];
    expect(answer.body).toMatchObject({ backend: 'redis', version, mode: 'standalone', port: Number(/tcp_port:(\d+)/.exec(info)![1]) });
    expect(answer.body.memory.used).toBeGreaterThan(0);
    expect(answer.body.clients.connected).toBeGreaterThan(0);
  });

  it("names each queue with the adapter's prefix and display options", async () => {
    const queue = scope.queue();
    const adapter = new ConveyorAdapter(queue, { prefix: 'mail/', displayName: 'Emails', description: 'outgoing mail', delimiter: '/' });
    const { api } = await scope.board([adapter]);
    const [listed] = await api.queues();
    expect(listed).toMatchObject({ name: `mail/${queue.name}`, displayName: 'Emails', description: 'outgoing mail', delimiter: '/' });
  });

  it('refuses anything but a Conveyor queue, saying what it takes', () => {
    expect(() => new ConveyorAdapter({} as never)).toThrow(/ConveyorAdapter takes a Queue of nestjs-conveyor/);
    expect(() => new ConveyorAdapter(null as never)).toThrow(/got null/);
  });
});
