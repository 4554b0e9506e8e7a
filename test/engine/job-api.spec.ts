// BullMQ's static Job API and the job's serialised shapes: Job.create / createBulk (through the
// queue's add path), fromJSON, optsFromJSON, addJobLog, toJSON / asJSON / asJSONSandbox, and
// progress of any JSON type.
import { Job, PRIORITY_LIMIT, Worker, type JobProgress } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

describe('Job API (BullMQ 6.7 statics and shapes)', () => {
  const scope = scopePerTest();

  it('Job.create adds through the queue and resolves with the stored Job; an empty jobId gets a generated id', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'test', { foo: 'bar' }, { timestamp: 1234567890 });
    expect(job).toBeInstanceOf(Job);
    expect(job.queue).toBe(queue);
    const stored = (await Job.fromId(queue, job.id!))!;
    expect(stored.data).toEqual({ foo: 'bar' });
    expect(stored.opts.timestamp).toBe(1234567890);
    expect(stored.timestamp).toBe(1234567890);
    expect(await stored.getState()).toBe('waiting');

    const custom = await Job.create(queue, 'test', {}, { jobId: 'customjob' });
    expect(custom.id).toBe('customjob');
    const generated = await Job.create(queue, 'test', {}, { jobId: '' });
    expect(generated.id).toMatch(/^\d+$/);
    expect(Number(generated.id)).toBeGreaterThan(Number(job.id));
    expect(await scope.redis.exists(`bull:${queue.name}:`)).toBe(0);
    expect(JSON.parse((await scope.redis.hget(`bull:${queue.name}:${generated.id}`, 'opts'))!)).toEqual({ jobId: '', attempts: 0 });
  });

  it('Job.createBulk adds all jobs atomically; an empty list adds nothing', async () => {
    const queue = scope.queue();
    const jobs = await Job.createBulk(queue, [
      { name: 'a', data: { n: 1 } },
      { name: 'b', data: { n: 2 }, opts: { delay: 60_000 } },
    ]);
    expect(jobs.map((j) => j.name)).toEqual(['a', 'b']);
    expect(await jobs[0].getState()).toBe('waiting');
    expect(await jobs[1].getState()).toBe('delayed');
    expect(await Job.createBulk(queue, [])).toEqual([]);
    await expect(
      Job.createBulk(queue, [
        { name: 'ok', data: {} },
        { name: 'bad', data: {}, opts: { priority: 1.5 } },
      ]),
    ).rejects.toThrow('Priority should not be float');
    expect(await queue.count()).toBe(2);
  });

  it("Job.create handed a Worker adds through a Queue on the worker's connection; the job belongs to the worker", async () => {
    const name = scope.name();
    const worker = scope.track(new Worker(name, null, { connection: connection(), autorun: false }));
    const job = await Job.create(worker, 'from-worker', { w: 1 });
    expect(job.queue).toBe(worker);
    expect(await job.getState()).toBe('waiting');
    await job.updateProgress(5);
    expect((await Job.fromId(worker, job.id!))!.progress).toBe(5);
    await expect(Job.create({} as never, 'x', {})).rejects.toThrow(
      'Job.create needs the Queue (or Worker) the job goes to as its first argument',
    );
  });

  it('progress can be any JSON value, stored and read back as bullmq does', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'p', {});
    const values: JobProgress[] = ['hello, world!', false, true, 42, 0, { total: 120, completed: 40 }, [1, 2], '42', ''];
    for (const value of values) {
      await job.updateProgress(value);
      expect(job.progress).toEqual(value);
      expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'progress')).toBe(JSON.stringify(value));
      expect((await Job.fromId(queue, job.id!))!.progress).toEqual(value);
    }
    // JSON has no NaN: stored as null, which reads back as 0 (bullmq's reading)
    await job.updateProgress(Number.NaN);
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'progress')).toBe('null');
    expect((await Job.fromId(queue, job.id!))!.progress).toBe(0);
    const events = (await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'progress').map((e) => e.data);
    expect(events).toEqual([...values.map((v) => JSON.stringify(v)), 'null']);
  });

  it('a progress that is not JSON in the hash (another client wrote it) reads as 0', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'p', {});
    await scope.redis.hset(`bull:${queue.name}:${job.id}`, 'progress', 'not json');
    expect((await Job.fromId(queue, job.id!))!.progress).toBe(0);
  });

  it('JSON.stringify(job) has the fields bullmq gives, queueQualifiedName included, never the queue', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'test', { foo: 'bar' }, { priority: 2, backoff: 10 });
    job.returnvalue = 1;
    job.progress = 20;
    const parsed = JSON.parse(JSON.stringify(job));
    expect(parsed).toMatchObject({
      name: 'test',
      data: { foo: 'bar' },
      id: job.id,
      opts: { attempts: 0, priority: 2, backoff: { type: 'fixed', delay: 10 } },
      progress: 20,
      returnvalue: 1,
      priority: 2,
      attemptsMade: 0,
      attemptsStarted: 0,
      stalledCounter: 0,
      timestamp: job.timestamp,
      queueQualifiedName: `bull:${queue.name}`,
    });
    expect(parsed).not.toHaveProperty('queue');
    const zero = JSON.parse(JSON.stringify(await Job.create(queue, 'test', 0)));
    expect(zero).toHaveProperty('data', 0);
  });

  it('asJSON gives the hash encodings, without unset fields; asJSONSandbox adds the queue names', async () => {
    const queue = scope.queue();
    const parent = await queue.add('parent', {}, { jobId: 'parent' });
    const child = await Job.create(
      queue,
      'child',
      { c: 1 },
      { parent: { id: parent.id!, queue: `bull:${queue.name}` }, failParentOnFailure: true },
    );
    expect(child.asJSON()).toEqual({
      id: child.id,
      name: 'child',
      data: '{"c":1}',
      opts: child.opts,
      parent: { id: 'parent', queueKey: `bull:${queue.name}`, fpof: true },
      parentKey: `bull:${queue.name}:parent`,
      progress: 0,
      attemptsMade: 0,
      attemptsStarted: 0,
      stalledCounter: 0,
      timestamp: child.timestamp,
      stacktrace: '[]',
      returnvalue: 'null',
    });
    expect(child.asJSONSandbox()).toEqual({
      ...child.asJSON(),
      queueName: queue.name,
      queueQualifiedName: `bull:${queue.name}`,
      prefix: 'bull',
    });
  });

  it('Job.fromJSON builds a job from asJSON output, taking the id from it unless one is given', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'shape', { x: 1 }, { attempts: 2 });
    await job.updateProgress({ p: 1 });
    const copy = Job.fromJSON(queue, job.asJSON() as never);
    expect(copy.id).toBe(job.id);
    expect({ name: copy.name, data: copy.data, opts: copy.opts, progress: copy.progress }).toEqual({
      name: 'shape',
      data: { x: 1 },
      opts: { attempts: 2 },
      progress: { p: 1 },
    });
    expect(Job.fromJSON(queue, job.asJSON() as never, 'other').id).toBe(job.id);
    const { id: _id, ...withoutId } = job.asJSON();
    expect(Job.fromJSON(queue, withoutId as never, 'given').id).toBe('given');
  });

  it('Job.optsFromJSON spells out the stored abbreviations, or renames by the map it is given', () => {
    expect(Job.optsFromJSON('{"kl":3,"fpof":true,"de":{"id":"x"},"tm":"m","omc":true,"attempts":1}')).toEqual({
      keepLogs: 3,
      failParentOnFailure: true,
      deduplication: { id: 'x' },
      telemetry: { metadata: 'm', omitContext: true },
      attempts: 1,
    });
    expect(Job.optsFromJSON('{"kl":3,"x":1}', { x: 'ex' })).toEqual({ kl: 3, ex: 1 });
    expect(Job.optsFromJSON(undefined)).toEqual({});
  });

  it('Job.addJobLog appends to a job by id and trims to keepLogs when given', async () => {
    const queue = scope.queue();
    const job = await queue.add('logs', {}, { keepLogs: 10 });
    expect(await Job.addJobLog(queue, job.id!, 'one')).toBe(1);
    expect(await Job.addJobLog(queue, job.id!, 'two')).toBe(2);
    expect(await Job.addJobLog(queue, job.id!, 'three', 2)).toBe(2);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['two', 'three'], count: 2 });
    await expect(Job.addJobLog(queue, 'missing', 'x')).rejects.toThrow('Missing key for job missing. addLog');
  });

  it('queue.updateJobProgress and queue.addJobLog work by id; the queue emits progress with the id', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'by-id', {});
    const emitted = once(queue, 'progress');
    await queue.updateJobProgress(job.id!, { total: 120, completed: 40 });
    expect(await emitted).toEqual([job.id, { total: 120, completed: 40 }]);
    expect((await Job.fromId(queue, job.id!))!.progress).toEqual({ total: 120, completed: 40 });
    await expect(queue.updateJobProgress('missing', 5)).rejects.toThrow('Missing key for job missing. updateProgress');
    await expect(queue.updateJobProgress('' as never, 5)).rejects.toThrow('jobId must be a non-empty string, got ""');
    expect(await queue.addJobLog(job.id!, 'first')).toBe(1);
    expect(await queue.addJobLog(job.id!, 'second')).toBe(2);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['first', 'second'], count: 2 });
  });

  it('job.log stores any value as text, updateData ignores sizeLimit, clearLogs takes negative counts (as bullmq)', async () => {
    const queue = scope.queue();
    const job = await queue.add('j', { a: 1 }, { sizeLimit: 20 });
    expect(await job.log(5 as never)).toBe(1);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['5'], count: 1 });
    await job.updateData({ text: 'x'.repeat(50) } as never);
    expect((await queue.getJob(job.id!))!.data).toEqual({ text: 'x'.repeat(50) });
    await job.log('b');
    await job.log('c');
    // LTRIM 1 -1: the oldest line goes, as with bullmq's clearLogs(-1)
    await job.clearLogs(-1);
    expect(await queue.getJobLogs(job.id!)).toEqual({ logs: ['b', 'c'], count: 2 });
  });

  it('data JSON leaves out (a function) is stored as {}, as bullmq reads it', async () => {
    const queue = scope.queue();
    const job = await queue.add('fn', (() => 1) as never);
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'data')).toBe('{}');
    expect((await queue.getJob(job.id!))!.data).toEqual({});
  });

  it('removeChildDependency of a job without a parent names the parent key as bullmq does', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'orphan', {});
    await expect(job.removeChildDependency()).rejects.toThrow('Missing key for parent job undefined. removeChildDependency');
  });

  it('emits progress on the queue with the job, and exports PRIORITY_LIMIT', async () => {
    const queue = scope.queue();
    const job = await Job.create(queue, 'p', {});
    const emitted = once(queue, 'progress');
    await job.updateProgress('halfway');
    expect(await emitted).toEqual([job, 'halfway']);
    expect(PRIORITY_LIMIT).toBe(2_097_151);
  });
});
