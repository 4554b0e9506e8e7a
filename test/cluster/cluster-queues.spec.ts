// Queues, workers and QueueEvents on a real 3-master Redis Cluster: queues with a hash tag in the
// name or the prefix keep every key in one slot, so every script runs on the node of that slot.
import { Cluster } from 'ioredis';
import { keySlot } from '../../lib/engine/connection/cluster.js';
import { loadScript, runScript } from '../../lib/engine/core/scripts.js';
import { ConveyorValidationError, Queue, QueueEvents, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterEach, type Closable } from '../support/scope.js';
import { ScriptMonitor } from '../support/script-monitor.js';
import { deferred, until, within } from '../support/wait.js';
import { TestCluster } from './cluster-support.js';

/** A queue name with its own hash tag: `{cl-1a2b3c4d}`. */
function taggedName(): string {
  return `{${uniqueName('cl')}}`;
}

describe('Redis Cluster: queues, workers and events', () => {
  let cluster: TestCluster;
  beforeAll(async () => (cluster = await TestCluster.start()), 60_000);
  afterAll(() => cluster?.stop());
  const scope = closedAfterEach(new BaseScope());
  const track = <T extends Closable>(thing: T): T => scope.track(thing);

  it('computes the same slot as CLUSTER KEYSLOT', async () => {
    const keys = [
      'foo',
      'bull:{q3}:wait',
      'pfx:{flows}:a:',
      'x{}y',
      'a{b',
      '{user1000}.following',
      'bull:plain:meta',
      'κλειδί',
      '{}',
      '{a}{b}',
    ];
    const client = cluster.node(cluster.ports[0]);
    for (const key of keys) expect([key, keySlot(key)]).toEqual([key, Number(await client.call('CLUSTER', 'KEYSLOT', key))]);
  });

  it('adds and processes jobs on a {tag} queue, every key on the node of its slot', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const seen: number[] = [];
    const worker = track(
      new Worker(
        name,
        async (job) => {
          seen.push(job.data.n);
          return job.data.n * 10;
        },
        { connection: cluster.connection(), autorun: false },
      ),
    );
    const first = await queue.add('one', { n: 1 });
    await queue.addBulk([
      { name: 'two', data: { n: 2 } },
      { name: 'three', data: { n: 3 } },
    ]);
    const done = times<[Job, number]>(worker, 'completed', 3);
    void worker.run();
    const completed = await done;
    expect(seen).toEqual([1, 2, 3]);
    expect(completed.map(([, value]) => value)).toEqual([10, 20, 30]);
    expect((await queue.getJob(first.id!))?.returnvalue).toBe(10);
    expect(await queue.getJobCounts('completed', 'waiting', 'active')).toEqual({ completed: 3, waiting: 0, active: 0 });

    const owner = await cluster.portOfKey(`bull:${name}:wait`);
    const byNode = await cluster.keysByNode(`bull:${name}:*`);
    expect(byNode[owner]).toEqual(
      expect.arrayContaining([`bull:${name}:completed`, `bull:${name}:events`, `bull:${name}:meta`, `bull:${name}:${first.id}`]),
    );
    for (const port of cluster.ports.filter((p) => p !== owner)) expect(byNode[port]).toEqual([]);
  });

  it('sends the adds of one tick together to the node of the slot: in order, a refused one alone, a child of a parent of the same burst', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    await queue.waitUntilReady();
    const port = await cluster.portOfKey(`bull:${name}:meta`);
    const monitor = await new ScriptMonitor(name, ['addJobs'], `redis://127.0.0.1:${port}`).start();
    try {
      const parentQueue = `bull:${name}`;
      const ended = await Promise.all(
        [
          queue.add('a', { n: 1 }),
          queue.add('parent', {}, { jobId: 'p' }),
          queue.add('child', {}, { jobId: 'c', parent: { id: 'p', queue: parentQueue } }),
          queue.add('orphan', {}, { parent: { id: 'gone', queue: parentQueue } }),
          queue.add('b', { n: 2 }),
        ].map((add) =>
          add.then(
            (job) => job.id!,
            (err: Error) => err.message,
          ),
        ),
      );
      expect(ended[3]).toBe(`Missing key for parent job ${parentQueue}:gone. addJob`);
      expect(ended.slice(1, 3)).toEqual(['p', 'c']);
      const wait = (await queue.getWaiting()).map((job) => job.id);
      expect(wait).toEqual([ended[0], 'p', 'c', ended[4]]);
      expect(await cluster.node(port).smembers(`${parentQueue}:p:dependencies`)).toEqual([`${parentQueue}:c`]);
      await until(
        'the addJobs call in MONITOR',
        () => monitor.of('addJobs'),
        (calls) => calls.filter((call) => call.command === 'evalsha').length >= 2,
        3000,
      );
      // the first add at once, the others together (an EVAL follows an EVALSHA the node had no
      // script for)
      const sent = monitor.of('addJobs').filter((call) => call.command === 'evalsha');
      expect(sent.map((call) => (JSON.parse(call.args[1]) as unknown[]).length)).toEqual([1, 4]);
    } finally {
      await monitor.close();
    }
  });

  it('finishes jobs that end together in one call with several job keys, all of one slot', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    await queue.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'batch', data: { i } })));
    const release = deferred();
    let running = 0;
    const allRunning = deferred();
    const worker = track(
      new Worker(
        name,
        async (job) => {
          running += 1;
          if (running === 4) allRunning.resolve();
          await release.promise;
          return job.data.i;
        },
        { connection: cluster.connection(), concurrency: 4 },
      ),
    );
    const done = times<[Job, number]>(worker, 'completed', 8, 8000);
    await within(allRunning.promise, 5000, 'four jobs running at once');
    // watch the finishes on the node of the queue's slot: one moveToFinished call for several jobs
    const port = await cluster.portOfKey(`bull:${name}:wait`);
    const monitor = await new ScriptMonitor(name, ['moveToFinished'], `redis://127.0.0.1:${port}`).start();
    try {
      release.resolve();
      expect((await done).map(([, value]) => value).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // MONITOR lines may trail the replies the worker got
      await until(
        'a moveToFinished call with several job keys',
        () => monitor.of('moveToFinished'),
        (calls) => calls.some((c) => c.keys.length > 1),
        3000,
      );
    } finally {
      await monitor.close();
    }
    expect(await queue.getJobCounts('completed', 'active', 'waiting')).toEqual({ completed: 8, active: 0, waiting: 0 });
  });

  it('wakes an idle worker blocked on the marker when a job arrives', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    // drainDelay of a minute: only the BZPOPMIN on the marker returning makes the 5 s below
    const worker = track(new Worker(name, async () => 'ok', { connection: cluster.connection(), drainDelay: 60 }));
    await once(worker, 'drained');
    const completed = once<[Job]>(worker, 'completed', 5000);
    const job = await queue.add('late', {});
    const [done] = await completed;
    expect(done.id).toBe(job.id);
  });

  it('takes prioritized jobs in priority order after the plain ones', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    await queue.add('p3', {}, { priority: 3 });
    await queue.add('p1', {}, { priority: 1 });
    await queue.add('plain', {});
    await queue.add('p2', {}, { priority: 2 });
    expect(await queue.getCountsPerPriority([0, 1, 2, 3])).toEqual({ 0: 1, 1: 1, 2: 1, 3: 1 });
    const order: string[] = [];
    const worker = track(new Worker(name, async (job) => void order.push(job.name), { connection: cluster.connection(), autorun: false }));
    const done = times(worker, 'completed', 4);
    void worker.run();
    await done;
    expect(order).toEqual(['plain', 'p1', 'p2', 'p3']);
  });

  it('retries with backoff and runs delayed jobs when due', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const worker = track(
      new Worker(
        name,
        async (job) => {
          if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
          return job.name;
        },
        { connection: cluster.connection() },
      ),
    );
    const failures = times<[Job, Error]>(worker, 'failed', 2);
    const flakyDone = once<[Job]>(worker, 'completed', 5000, (job) => job.name === 'flaky');
    const laterDone = once<[Job]>(worker, 'completed', 5000, (job) => job.name === 'later');
    const flaky = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    const later = await queue.add('later', {}, { delay: 400 });
    expect(await later.getState()).toBe('delayed');

    expect((await failures).map(([, err]) => err.message)).toEqual(['flaky attempt 1', 'flaky attempt 2']);
    const [flakyJob] = await flakyDone;
    expect(flakyJob.id).toBe(flaky.id);
    expect(flakyJob.attemptsMade).toBe(3);
    const [laterJob] = await laterDone;
    expect(laterJob.processedOn! - later.timestamp).toBeGreaterThanOrEqual(400);
    const stored = await queue.getJob(flaky.id!);
    expect(stored?.attemptsMade).toBe(3);
    expect(await stored?.getState()).toBe('completed');
  });

  it('QueueEvents reads the queue stream on the cluster', async () => {
    const name = taggedName();
    const events = track(new QueueEvents(name, { connection: cluster.connection() }));
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    await events.waitUntilReady();
    const added = once(events, 'added');
    const active = once(events, 'active');
    const progress = once(events, 'progress');
    const completed = once(events, 'completed');
    const failed = once(events, 'failed');
    const delayed = once(events, 'delayed');
    const job = await queue.add('sum', { a: 2, b: 3 });
    const bad = await queue.add('bad', {});
    const parked = await queue.add('parked', {}, { delay: 60_000 });
    track(
      new Worker(
        name,
        async (j) => {
          if (j.name === 'bad') throw new Error('no good');
          await j.updateProgress(50);
          return j.data.a + j.data.b;
        },
        { connection: cluster.connection() },
      ),
    );
    expect((await added)[0]).toEqual({ jobId: job.id, name: 'sum' });
    expect((await active)[0]).toEqual({ jobId: job.id, prev: 'waiting' });
    expect((await progress)[0]).toEqual({ jobId: job.id, data: 50 });
    expect((await completed)[0]).toEqual({ jobId: job.id, returnvalue: 5, prev: 'active' });
    expect((await failed)[0]).toEqual({ jobId: bad.id, failedReason: 'no good', prev: 'active' });
    expect((await delayed)[0].jobId).toBe(parked.id);
    // waitUntilFinished reads the job and the stream on the cluster too
    await expect(job.waitUntilFinished(events, 5000)).resolves.toBe(5);
    await expect(bad.waitUntilFinished(events, 5000)).rejects.toThrow('no good');
  });

  it('pauses and resumes the queue', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const events = track(new QueueEvents(name, { connection: cluster.connection() }));
    await events.waitUntilReady();
    const worker = track(new Worker(name, async () => 'done', { connection: cluster.connection() }));
    await once(worker, 'drained');
    const paused = once(events, 'paused');
    await queue.pause();
    await paused;
    expect(await queue.isPaused()).toBe(true);
    const job = await queue.add('held', {});
    // the worker fetches through this script: a fetch now finds the queue paused and takes nothing
    const fetched = (await runScript(
      await queue.client,
      'moveToActive',
      [queue.keys.meta],
      [queue.keys.base, 'probe:1', 1000, Date.now(), 0, 0, '', 1],
    )) as unknown[];
    expect(fetched).toHaveLength(2);
    expect(await job.getState()).toBe('waiting');
    const completed = once<[Job]>(worker, 'completed');
    await queue.resume();
    expect((await completed)[0].id).toBe(job.id);
    expect(await queue.isPaused()).toBe(false);
  });

  it('recovers a stalled job: the lock expired, the checker moves it back, a worker finishes it', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const job = await queue.add('stuck', { v: 1 });
    // what a worker that died right after its fetch leaves: the job active, a lock about to expire
    const client = await queue.client;
    const reply = (await runScript(
      client,
      'moveToActive',
      [queue.keys.meta],
      [queue.keys.base, 'dead-worker:1', 50, Date.now(), 0, 0, '', 1],
    )) as unknown[];
    expect(reply[2]).toBe(job.id);
    await until(
      'the dead worker lock to expire',
      () => client.exists(`${queue.keys.job(job.id!)}:lock`),
      (n) => n === 0,
      5000,
    );
    expect(await job.getState()).toBe('active');

    const worker = track(
      new Worker(name, async (j) => `recovered ${j.id}`, { connection: cluster.connection(), stalledInterval: 200, autorun: false }),
    );
    const stalled = once<[string, string]>(worker, 'stalled', 5000);
    const completed = once<[Job, string]>(worker, 'completed', 5000);
    void worker.run();
    expect(await stalled).toEqual([job.id, 'active']);
    const [done, value] = await completed;
    expect(done.id).toBe(job.id);
    expect(value).toBe(`recovered ${job.id}`);
    expect(await client.hget(queue.keys.job(job.id!), 'stc')).toBe('1');
  });

  it('renews locks on the cluster while a long job runs', async () => {
    const name = taggedName();
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const release = deferred();
    const worker = track(
      new Worker(name, async () => release.promise.then(() => 'late'), {
        connection: cluster.connection(),
        lockDuration: 300,
        lockRenewTime: 100,
      }),
    );
    const job = await queue.add('long', {});
    const client = await queue.client;
    const lockKey = `${queue.keys.job(job.id!)}:lock`;
    await until(
      'the job to be locked',
      () => client.exists(lockKey),
      (n) => n === 1,
      3000,
    );
    const lost: unknown[] = [];
    worker.on('lockRenewalFailed', (ids: string[]) => lost.push(ids));
    // the lock's ttl only ever goes up when a renewal ran; see three of them, past its duration
    for (let renewal = 0; renewal < 3; renewal++) {
      let previous = await client.pttl(lockKey);
      await until(
        'a lock renewal',
        () => client.pttl(lockKey),
        (ttl) => {
          const renewed = ttl > previous;
          previous = ttl;
          return renewed;
        },
        3000,
      );
    }
    expect(await client.exists(lockKey)).toBe(1);
    expect(await job.getState()).toBe('active');
    expect(lost).toEqual([]);
    const completed = once<[Job, string]>(worker, 'completed');
    release.resolve();
    expect((await completed)[1]).toBe('late');
  });

  it('runs two queues whose tags are served by different nodes at the same time', async () => {
    const first = taggedName();
    const firstNode = await cluster.portOfKey(`bull:${first}:wait`);
    let second = taggedName();
    while ((await cluster.portOfKey(`bull:${second}:wait`)) === firstNode) second = taggedName();
    const queues = [first, second].map((name) => track(new Queue(name, { connection: cluster.connection() })));
    const started = { [first]: deferred(), [second]: deferred() };
    const both = Promise.all(Object.values(started).map((d) => d.promise));
    const workers = [first, second].map((name) =>
      track(
        new Worker(
          name,
          async (job) => {
            started[name].resolve();
            // each job finishes only once the other queue's job runs too: they run side by side
            await within(both, 5000, `the job of the other queue (${job.queueName})`);
            return job.queueName;
          },
          { connection: cluster.connection(), concurrency: 1 },
        ),
      ),
    );
    const done = workers.map((worker) => once<[Job, string]>(worker, 'completed', 8000));
    await Promise.all(queues.map((queue) => queue.add('j', {})));
    const results = await Promise.all(done);
    expect(results.map(([, value]) => value)).toEqual([first, second]);
    const byNode = await cluster.keysByNode('bull:{cl-*');
    expect(byNode[firstNode].some((k) => k.startsWith(`bull:${first}:`))).toBe(true);
    expect(byNode[firstNode].some((k) => k.startsWith(`bull:${second}:`))).toBe(false);
  });

  it('getters, admin operations and job methods work on a queue tagged by its prefix', async () => {
    const prefix = `{${uniqueName('app')}}`;
    const name = 'emails';
    const queue = track(new Queue(name, { connection: cluster.connection(), prefix }));
    const a = await queue.add('a', { v: 1 });
    const b = await queue.add('b', { v: 2 }, { priority: 5 });
    const c = await queue.add('c', { v: 3 }, { delay: 60_000 });
    await a.updateProgress({ step: 1 });
    await a.log('first line');
    await a.log('second line');
    await a.updateData({ v: 10 });
    expect(await queue.getJobLogs(a.id!)).toEqual({ logs: ['first line', 'second line'], count: 2 });
    expect((await queue.getJob(a.id!))?.data).toEqual({ v: 10 });
    expect((await queue.getJob(a.id!))?.progress).toEqual({ step: 1 });
    expect(await queue.getJobCounts('waiting', 'prioritized', 'delayed')).toEqual({ waiting: 1, prioritized: 1, delayed: 1 });
    expect((await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1, true)).map((j) => j.name).sort()).toEqual(['a', 'b', 'c']);
    expect(await queue.getJobState(c.id!)).toBe('delayed');
    await c.promote();
    expect(await c.getState()).toBe('waiting');
    await b.remove();
    expect(await queue.getJob(b.id!)).toBeUndefined();
    expect(await queue.count()).toBe(2);

    const worker = track(
      new Worker(
        name,
        async (job) => {
          if (job.name === 'c') throw new Error('c fails');
          return 'ok';
        },
        { connection: cluster.connection(), prefix },
      ),
    );
    const finished = times(worker, 'completed', 1);
    const failed = once<[Job]>(worker, 'failed');
    await finished;
    const [failedJob] = await failed;
    expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: 1, failed: 1 });
    await worker.close();
    const stored = (await queue.getJob(failedJob.id!))!;
    expect(stored.failedReason).toBe('c fails');
    await stored.retry('failed');
    expect(await stored.getState()).toBe('waiting');
    expect(await queue.clean(0, 10, 'completed')).toEqual([a.id]);
    await queue.drain();
    expect(await queue.getJobCounts('waiting', 'completed')).toEqual({ waiting: 0, completed: 0 });

    const base = `${prefix}:${name}:`;
    expect(Object.values(await cluster.keysByNode(`${base}*`)).flat().length).toBeGreaterThan(0);
    await queue.obliterate({ force: true });
    expect(Object.values(await cluster.keysByNode(`${base}*`)).flat()).toEqual([]);
  });

  it('loads scripts per node: EVALSHA falls back to EVAL on a node that lacks them', async () => {
    await cluster.onEveryNode('SCRIPT', 'FLUSH');
    const name = taggedName();
    const owner = await cluster.portOfKey(`bull:${name}:wait`);
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    await queue.add('j', {});
    const { sha } = loadScript('addJobs');
    const exists = await cluster.onEveryNode('SCRIPT', 'EXISTS', sha);
    for (const port of cluster.ports) expect([port, exists[port]]).toEqual([port, [port === owner ? 1 : 0]]);

    const worker = track(new Worker(name, async () => 'fine', { connection: cluster.connection() }));
    await once(worker, 'completed');
    const moved = await cluster.onEveryNode('SCRIPT', 'EXISTS', loadScript('moveToFinished').sha);
    expect(moved[owner]).toEqual([1]);
  });

  it('uses a Cluster instance passed in, blocks on its own duplicate and leaves the instance open', async () => {
    const name = taggedName();
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      const queue = new Queue(name, { connection: client });
      const events = new QueueEvents(name, { connection: client });
      const worker = new Worker(name, async () => 'shared', { connection: client });
      try {
        await events.waitUntilReady();
        const completed = once(events, 'completed');
        await queue.add('j', {});
        expect((await completed)[0].returnvalue).toBe('shared');
        // the blocking reads run on named connections of their own, on the node of the queue's slot
        const owner = cluster.node(await cluster.portOfKey(`bull:${name}:wait`));
        const names = ((await owner.call('CLIENT', 'LIST')) as string).split('\n').map((line) => /\bname=(\S*)/.exec(line)?.[1]);
        const encoded = Buffer.from(name).toString('base64');
        expect(names).toContain(`bull:${encoded}`);
        expect(names).toContain(`bull:${encoded}:qe`);
      } finally {
        await worker.close();
        await events.close();
        await queue.close();
      }
      expect(client.status).toBe('ready');
      await expect(client.get(`bull:${name}:id`)).resolves.toBe('1');
    } finally {
      client.disconnect();
    }
  });

  it('refuses a queue without a hash tag, naming its keys, their slots and the fix, before touching Redis', async () => {
    const name = uniqueName('plain');
    const wait = `bull:${name}:wait`;
    const client = new Cluster(
      cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
      { lazyConnect: true },
    );
    try {
      const makers = [
        () => new Queue(name, { connection: cluster.connection() }),
        () => new Worker(name, async () => 1, { connection: cluster.connection() }),
        () => new QueueEvents(name, { connection: cluster.connection() }),
        () => new Queue(name, { connection: client }),
      ];
      for (const make of makers) {
        let error: unknown;
        try {
          track(make());
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(ConveyorValidationError);
        const message = (error as Error).message;
        expect(message).toMatch(new RegExp(`^(Queue|Worker|QueueEvents) "${name}" \\(prefix "bull"\\) cannot run on a Redis Cluster`));
        expect(message).toContain(`"${wait}" in slot ${keySlot(wait)}`);
        expect(message).toMatch(/"bull:[^"]+" in slot \d+\) and its scripts would fail/);
        expect(message).toContain(
          'Put a hash tag ({...}) in the prefix or the queue name, e.g. prefix "{bull}" or a queue named "{emails}"',
        );
      }
      // an empty tag is no tag (Redis hashes the whole key)
      expect(() => new Queue(`${name}{}`, { connection: cluster.connection() })).toThrow(ConveyorValidationError);
      expect(client.status).toBe('wait');
      expect(Object.values(await cluster.keysByNode(`*${name}*`)).flat()).toEqual([]);
    } finally {
      client.disconnect();
    }
  });
});
