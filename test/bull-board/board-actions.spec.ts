// The board's actions on Conveyor queues, through its REST API on a real HTTP server
// (@bull-board/express), each checked in Redis afterwards through a Conveyor Queue or a raw client.
import { FlowProducer, Worker } from 'nestjs-conveyor';
import { connection } from '../support/redis.js';
import { closedAfterEach } from '../support/scope.js';
import { BoardScope, fillQueue, finishJobs } from './support/scope.js';

describe('bull-board actions on Conveyor queues', () => {
  const scope = closedAfterEach(new BoardScope());

  it('adds a job with the options given, and answers with it and its state', async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    const answer = await api.post(api.queuePath(queue.name, '/add'), {
      name: 'hello',
      data: { to: 'a@b.c' },
      options: { delay: 60_000, attempts: 3 },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'delayed',
      job: { name: 'hello', data: { to: 'a@b.c' }, opts: { delay: 60_000, attempts: 3 } },
    });
    const stored = (await queue.getJob(answer.body.job.id))!;
    expect({ name: stored.name, data: stored.data, attempts: stored.opts.attempts, state: await stored.getState() }).toEqual({
      name: 'hello',
      data: { to: 'a@b.c' },
      attempts: 3,
      state: 'delayed',
    });

    const plain = await api.post(api.queuePath(queue.name, '/add'), { name: 'plain' });
    expect(plain.body.status).toBe('waiting');
    expect(await queue.getJobState(plain.body.job.id)).toBe('waiting');
  });

  it('retries a failed job and a completed one, one at a time', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, `/${ids.failed}/retry`))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobState(ids.failed)).toBe('waiting');
    expect(await api.put(api.queuePath(queue.name, `/${ids.completed}/retry`))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobState(ids.completed)).toBe('waiting');
    // a waiting job is not retried
    const refused = await api.put(api.queuePath(queue.name, `/${ids.waiting[0]}/retry`));
    expect(refused).toEqual({ status: 400, body: { error: { key: 'ERRORS.JOB_NOT_RETRIABLE', options: { state: 'waiting' } } } });
  });

  it('retries every failed job, then every completed one', async () => {
    const queue = scope.queue();
    const ids = await finishJobs(scope, queue, { completed: 2, failed: 3 });
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, '/retry/failed'))).toEqual({ status: 200, body: { retried: 3, skipped: 0 } });
    expect(await queue.getJobCounts('failed', 'waiting', 'completed')).toEqual({ failed: 0, waiting: 3, completed: 2 });
    expect(await api.put(api.queuePath(queue.name, '/retry/completed'))).toEqual({ status: 200, body: { retried: 2, skipped: 0 } });
    expect(await queue.getJobCounts('completed', 'waiting')).toEqual({ completed: 0, waiting: 5 });
    for (const id of [...ids.completed, ...ids.failed]) expect(await queue.getJobState(id)).toBe('waiting');
  });

  it('tells the board when retrying completed jobs is not allowed (failed ones still are)', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue], { allowCompletedRetries: false });
    expect(await api.queue(queue.name)).toMatchObject({ allowRetries: true, allowCompletedRetries: false });
    expect((await api.put(api.queuePath(queue.name, `/${ids.failed}/retry`))).status).toBe(204);
    expect(await queue.getJobState(ids.failed)).toBe('waiting');
  });

  it('promotes one delayed job, then all of them', async () => {
    const queue = scope.queue();
    const first = await queue.add('a', {}, { delay: 3_600_000 });
    const others = [await queue.add('b', {}, { delay: 3_600_000 }), await queue.add('c', {}, { delay: 60_000 })];
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, `/${first.id}/promote`))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobState(first.id!)).toBe('waiting');
    expect(await queue.getJobCounts('delayed')).toEqual({ delayed: 2 });
    expect(await api.put(api.queuePath(queue.name, '/promote'))).toEqual({ status: 200, body: {} });
    expect(await queue.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 0, waiting: 3 });
    for (const job of others) expect(await queue.getJobState(job.id!)).toBe('waiting');
  });

  it('removes one job', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);
    for (const id of [ids.completed, ids.waiting[0], ids.delayed]) {
      expect(await api.put(api.queuePath(queue.name, `/${id}/clean`))).toEqual({ status: 204, body: undefined });
      expect(await scope.redis.exists(queue.toKey(id))).toBe(0);
    }
    expect(await queue.getJobCounts('completed', 'waiting', 'delayed')).toEqual({ completed: 0, waiting: 1, delayed: 0 });
  });

  it('cleans all jobs of a state that are older than the grace time (5 s)', async () => {
    const queue = scope.queue();
    const {
      completed: [old, recent],
    } = await finishJobs(scope, queue, { completed: 2, failed: 0 });
    // age one completed job: its score in the completed set is when it finished
    await scope.redis.zadd(queue.toKey('completed'), 'XX', Date.now() - 60_000, old);
    const oldWaiting = await queue.add('old', {}, { timestamp: Date.now() - 60_000 });
    const newWaiting = await queue.add('new', {});
    const { api } = await scope.conveyorBoard([queue]);

    expect(await api.put(api.queuePath(queue.name, '/clean/completed'))).toEqual({ status: 200, body: {} });
    expect((await queue.getJobs('completed')).map((j) => j.id)).toEqual([recent]);
    expect(await scope.redis.exists(queue.toKey(old))).toBe(0);

    expect(await api.put(api.queuePath(queue.name, '/clean/wait'))).toEqual({ status: 200, body: {} });
    expect(await queue.getJobState(oldWaiting.id!)).toBe('unknown');
    expect((await queue.getJobs('waiting')).map((j) => j.id)).toEqual([newWaiting.id]);
  });

  it('pauses and resumes one queue, and all of them', async () => {
    const [a, b] = [scope.queue(), scope.queue()];
    const { api } = await scope.conveyorBoard([a, b]);
    expect(await api.put(api.queuePath(a.name, '/pause'))).toEqual({ status: 200, body: {} });
    expect([await a.isPaused(), await b.isPaused()]).toEqual([true, false]);
    expect((await api.queue(a.name)).isPaused).toBe(true);
    expect(await api.put(api.queuePath(a.name, '/resume'))).toEqual({ status: 200, body: {} });
    expect(await a.isPaused()).toBe(false);

    expect(await api.put('/api/queues/pause')).toEqual({ status: 200, body: {} });
    expect([await a.isPaused(), await b.isPaused()]).toEqual([true, true]);
    expect(await scope.redis.hexists(a.toKey('meta'), 'paused')).toBe(1);
    expect(await api.put('/api/queues/resume')).toEqual({ status: 200, body: {} });
    expect([await a.isPaused(), await b.isPaused()]).toEqual([false, false]);
  });

  it('empties a queue: its waiting and prioritized jobs go, delayed and finished ones stay', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, '/empty'))).toEqual({ status: 200, body: {} });
    expect(await queue.getJobCounts()).toEqual({
      active: 0,
      completed: 1,
      delayed: 1,
      failed: 1,
      prioritized: 0,
      waiting: 0,
      'waiting-children': 0,
    });
    for (const id of [...ids.waiting, ids.prioritized]) expect(await scope.redis.exists(queue.toKey(id))).toBe(0);
  });

  it('obliterates a paused queue, and with force one that has active jobs', async () => {
    const queue = scope.queue();
    await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, '/obliterate'))).toEqual({
      status: 400,
      body: { error: { key: 'ERRORS.QUEUE_NOT_PAUSED' } },
    });

    // a job held by a worker driven by hand: active, locked, nothing running it
    const manual = scope.track(new Worker(queue.name, null, { connection: connection(), autorun: false }));
    expect(await manual.getNextJob('board-test')).toBeDefined();
    await api.put(api.queuePath(queue.name, '/pause'));
    expect(await api.put(api.queuePath(queue.name, '/obliterate'))).toEqual({
      status: 409,
      body: { error: { key: 'ERRORS.QUEUE_HAS_ACTIVE_JOBS' }, message: { key: 'ERRORS.QUEUE_HAS_ACTIVE_JOBS_DETAILS' } },
    });
    expect((await queue.getJobCounts()).waiting).toBe(1);

    expect(await api.put(api.queuePath(queue.name, '/obliterate'), { force: true })).toEqual({ status: 200, body: {} });
    expect(await scope.redis.keys(`bull:${queue.name}:*`)).toEqual([]);
  });

  it('sets the global concurrency, and removes it with 0', async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.put(api.queuePath(queue.name, '/concurrency'), { concurrency: 3 })).toEqual({ status: 200, body: {} });
    expect(await queue.getGlobalConcurrency()).toBe(3);
    expect((await api.queue(queue.name)).globalConcurrency).toBe(3);
    // the board's dialog: "Set to 0 to remove the limit"
    expect(await api.put(api.queuePath(queue.name, '/concurrency'), { concurrency: 0 })).toEqual({ status: 200, body: {} });
    expect(await queue.getGlobalConcurrency()).toBeNull();
    expect(await scope.redis.hexists(queue.toKey('meta'), 'concurrency')).toBe(0);
  });

  it('sets, shows and removes the global rate limit', async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    expect(await api.get(api.queuePath(queue.name, '/rate-limit'))).toEqual({ status: 200, body: { supported: true, rateLimit: null } });
    expect(await api.put(api.queuePath(queue.name, '/rate-limit'), { max: 5, duration: 1000 })).toEqual({ status: 200, body: {} });
    expect(await queue.getGlobalRateLimit()).toEqual({ max: 5, duration: 1000 });
    expect(await scope.redis.hmget(queue.toKey('meta'), 'max', 'duration')).toEqual(['5', '1000']);
    expect(await api.get(api.queuePath(queue.name, '/rate-limit'))).toEqual({
      status: 200,
      body: { supported: true, rateLimit: { max: 5, duration: 1000 } },
    });
    expect(await api.put(api.queuePath(queue.name, '/rate-limit'), { max: null })).toEqual({ status: 200, body: {} });
    expect(await queue.getGlobalRateLimit()).toBeNull();
  });

  it('shows a rate limit that holds the workers back, and releases it', async () => {
    const queue = scope.queue();
    const { api } = await scope.conveyorBoard([queue]);
    await queue.rateLimit(60_000);
    const ttl = (await api.queue(queue.name)).activeRateLimitTtl;
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await api.put(api.queuePath(queue.name, '/rate-limit/release'))).toEqual({ status: 200, body: {} });
    expect(await scope.redis.exists(queue.toKey('limiter'))).toBe(0);
    expect((await api.queue(queue.name)).activeRateLimitTtl).toBe(0);
  });

  it('edits a job: its data, its due time while delayed, its priority', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue]);

    expect(await api.patch(api.queuePath(queue.name, `/${ids.waiting[0]}/update-data`), { jobData: { n: 99 } })).toEqual({
      status: 200,
      body: {},
    });
    expect((await queue.getJob(ids.waiting[0]))!.data).toEqual({ n: 99 });

    const runAt = Date.now() + 7_200_000;
    expect(await api.patch(api.queuePath(queue.name, `/${ids.delayed}/delay`), { runAt })).toEqual({ status: 200, body: {} });
    // the delayed set's score is the due time times 0x1000 plus a counter
    const due = Math.floor(Number(await scope.redis.zscore(queue.toKey('delayed'), ids.delayed)) / 0x1000);
    expect(Math.abs(due - runAt)).toBeLessThan(1000);

    expect(await api.patch(api.queuePath(queue.name, `/${ids.prioritized}/priority`), { priority: 7 })).toEqual({ status: 200, body: {} });
    expect((await queue.getJob(ids.prioritized))!.priority).toBe(7);
  });

  it("removes a flow parent's unprocessed children", async () => {
    const parents = scope.queue(scope.name('parents'));
    const children = scope.queue(scope.name('children'));
    const flows = scope.track(new FlowProducer({ connection: connection() }));
    const tree = await flows.add({
      name: 'parent',
      queueName: parents.name,
      children: [
        { name: 'a', queueName: children.name },
        { name: 'b', queueName: children.name },
      ],
    });
    const { api } = await scope.conveyorBoard([parents, children]);
    expect(await api.put(api.queuePath(parents.name, `/${tree.job.id}/remove-unprocessed-children`))).toEqual({
      status: 200,
      body: { removed: 2 },
    });
    expect(await children.getJobCounts('waiting')).toEqual({ waiting: 0 });
    expect(await parents.getJobState(tree.job.id!)).toBe('waiting');
  });

  it('refuses every action in read-only mode and still shows the queue', async () => {
    const queue = scope.queue();
    const ids = await fillQueue(scope, queue);
    const { api } = await scope.conveyorBoard([queue], { readOnlyMode: true });
    expect(await api.put(api.queuePath(queue.name, '/pause'))).toEqual({ status: 405, body: { error: { key: 'ERRORS.QUEUE_READ_ONLY' } } });
    expect((await api.put(api.queuePath(queue.name, `/${ids.failed}/retry`))).status).toBe(405);
    expect(await queue.isPaused()).toBe(false);
    expect(await queue.getJobState(ids.failed)).toBe('failed');
    expect((await api.get(api.queuePath(queue.name, `/${ids.failed}`))).status).toBe(200);
    expect((await api.queue(queue.name)).readOnlyMode).toBe(true);
  });
});
