// Sandboxed processors (a file run in a child process or a worker thread): what the job looks like
// inside, job methods from inside, results and errors back to the worker, retries, file kinds.
import { Queue, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { childId, fixture, fixtureUrl, MODES, sandboxed, type Where } from './sandbox-support.js';

describe.each(MODES)('sandboxed processor in a $mode', ({ useWorkerThreads }) => {
  const scope = scopePerTest();

  it('gets a plain job with the fields and methods BullMQ gives, the token and a signal', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const added = await queue.add('greet', { action: 'echo', who: 'world' }, { attempts: 2, priority: 3 });
    const [job, result] = await completed;

    expect(job.id).toBe(added.id);
    expect(result.fields).toMatchObject({
      id: added.id,
      name: 'greet',
      data: { action: 'echo', who: 'world' },
      opts: { attempts: 2, priority: 3 },
      progress: 0,
      attemptsMade: 0,
      attemptsStarted: 1,
      stalledCounter: 0,
      timestamp: added.timestamp,
      priority: 3,
      queueName: queue.name,
      queueQualifiedName: `bull:${queue.name}`,
      prefix: 'bull',
    });
    expect(typeof result.fields.processedOn).toBe('number');
    const methods = ['updateProgress', 'log', 'updateData', 'moveToDelayed', 'moveToWait', 'moveToWaitingChildren'];
    for (const method of [...methods, 'getChildrenValues', 'getIgnoredChildrenFailures', 'getDependenciesCount', 'getDependencies']) {
      expect(result.types[method]).toBe('function');
    }
    // nothing that would let a child reach past its job
    expect(result.keys).not.toContain('remove');
    expect(result.keys).not.toContain('queue');
    expect(result.argc).toBe(3);
    expect(result.token).toMatch(new RegExp(`^${worker.id}:`));
    expect(result.signalIsAbortSignal).toBe(true);
    if (useWorkerThreads) {
      expect(result.pid).toBe(process.pid);
      expect(result.threadId).toBeGreaterThan(0);
    } else {
      expect(result.pid).not.toBe(process.pid);
    }
    const stored = await queue.getJob(added.id!);
    expect(stored?.returnvalue).toEqual(result);
    expect(await stored?.getState()).toBe('completed');
  });

  it('updateProgress, log and updateData from inside reach Redis, the worker and the job object', async () => {
    const { queue, worker } = sandboxed(scope, fixtureUrl('processor.mjs'), { useWorkerThreads });
    const progress = once<[Job, unknown]>(worker, 'progress', 10000);
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const added = await queue.add('report', { action: 'report', progress: { step: 2, of: 3 } });

    const [progressJob, reported] = await progress;
    expect(progressJob.id).toBe(added.id);
    expect(reported).toEqual({ step: 2, of: 3 });
    const [job, result] = await completed;
    expect(result).toEqual({
      progressAfter: { step: 2, of: 3 },
      dataAfter: { action: 'report', progress: { step: 2, of: 3 }, updated: true },
      logsKept: 2,
    });
    // the worker's own Job saw the calls too
    expect(job.progress).toEqual({ step: 2, of: 3 });
    expect(job.data).toEqual({ action: 'report', progress: { step: 2, of: 3 }, updated: true });
    const stored = await queue.getJob(added.id!);
    expect(stored?.progress).toEqual({ step: 2, of: 3 });
    expect(stored?.data).toEqual({ action: 'report', progress: { step: 2, of: 3 }, updated: true });
    expect(await queue.getJobLogs(added.id!)).toEqual({ logs: ['first line', 'second line'], count: 2 });
  });

  it('a job method that fails rejects inside the processor with the Error the worker got', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const added = await queue.add('bad', { action: 'bad-move' });
    const [, result] = await completed;
    expect(result).toEqual({
      name: 'ConveyorScriptError',
      message: `Lock mismatch for job ${added.id}. Cmd moveToDelayed from active`,
      isError: true,
    });
  });

  it('an error thrown inside keeps its class name, message, stack and own fields', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failed = once<[Job, Error]>(worker, 'failed', 10000);
    const added = await queue.add('throws', { action: 'throw', message: 'boom from the child' });
    const [job, error] = await failed;

    expect(job.id).toBe(added.id);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('boom from the child');
    expect(error.stack).toContain('actions.cjs');
    expect((error as Error & { code: string }).code).toBe('E_BOOM');
    expect((error as Error & { details: unknown }).details).toEqual({ attempt: 0 });
    const stored = await queue.getJob(added.id!);
    expect(stored?.failedReason).toBe('boom from the child');
    expect(stored?.stacktrace).toHaveLength(1);
    expect(stored?.stacktrace[0]).toMatch(/^TypeError: boom from the child\n.*actions\.cjs/s);
  });

  it('a thrown non-Error gives the same failedReason as in-process', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failed = once<[Job, Error]>(worker, 'failed', 10000);
    const added = await queue.add('string', { action: 'throw-string' });
    const [, error] = await failed;
    expect(error.message).toBe('a plain string');
    expect((await queue.getJob(added.id!))?.failedReason).toBe('a plain string');
  });

  it('retries with backoff as in-process, every attempt in the same child', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failures = times<[Job, Error]>(worker, 'failed', 2, 10000);
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const added = await queue.add('flaky', { action: 'fail-until', okAt: 2 }, { attempts: 3, backoff: { type: 'fixed', delay: 20 } });

    const failed = await failures;
    const [job, result] = await completed;
    const child = `${result.pid}/${result.threadId}`;
    expect(failed.map(([, err]) => err.message)).toEqual([`attempt 0 fails in ${child}`, `attempt 1 fails in ${child}`]);
    expect(job.id).toBe(added.id);
    expect(result.attemptsMade).toBe(2);
    expect(job.attemptsMade).toBe(3);
    const stored = await queue.getJob(added.id!);
    expect(stored?.attemptsMade).toBe(3);
    expect(stored?.stacktrace).toHaveLength(2);
  });

  it('an UnrecoverableError thrown inside fails the job without retries', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failed = once<[Job, Error]>(worker, 'failed', 10000);
    const added = await queue.add('hopeless', { action: 'unrecoverable' }, { attempts: 5 });
    const [job, error] = await failed;
    expect(error.name).toBe('UnrecoverableError');
    expect(job.attemptsMade).toBe(1);
    expect(await (await queue.getJob(added.id!))?.getState()).toBe('failed');
  });

  it('stores the return value as JSON, and fails a job whose value cannot be', async () => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const failed = once<[Job, Error]>(worker, 'failed', 10000);
    const values = await queue.add('values', { action: 'values' });
    const circular = await queue.add('circular', { action: 'circular' });

    const [, result] = await completed;
    expect(result).toEqual({ when: '1970-01-01T00:00:00.000Z', nan: null, list: [1, 'two'] });
    expect((await queue.getJob(values.id!))?.returnvalue).toEqual(result);
    const [job, error] = await failed;
    expect(job.id).toBe(circular.id);
    expect(error.message).toMatch(
      new RegExp(`^return value of job ${circular.id} cannot be stored as JSON: Converting circular structure`),
    );
    // the message is the engine's, not a stack pointing into it
    expect((await queue.getJob(circular.id!))?.stacktrace).toEqual([]);
  });

  it.each([
    ['moveToDelayed', 'DelayedError', 'delayed'],
    ['moveToWait', 'WaitingError', 'wait'],
  ])('%s from inside and a %s leave the job moved, not failed', async (_method, _error, to) => {
    const { queue, worker } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const failures: Error[] = [];
    worker.on('failed', (_job: Job, err: Error) => failures.push(err));
    worker.on('error', (err: Error) => failures.push(err));
    const completed = once<[Job, any]>(worker, 'completed', 10000);
    const added = await queue.add('moving', { action: 'move-once', to }, { attempts: 1 });
    const [job, result] = await completed;
    expect(job.id).toBe(added.id);
    // taken twice, and the move used no attempt
    expect(result).toEqual({ attemptsStarted: 2, attemptsMade: 0 });
    expect(failures).toEqual([]);
  });

  it('moveToWaitingChildren from inside and a WaitingChildrenError leave the job waiting for its children', async () => {
    const { queue, worker, name } = sandboxed(scope, fixture('processor.cjs'), { useWorkerThreads });
    const kidsName = scope.name('sbx-kids');
    const kids = scope.track(new Queue(kidsName, { connection: connection() }));
    // the worker must take the error for what it says (the job moved itself), not as a failure
    const failures: Error[] = [];
    worker.on('failed', (_job: Job, err: Error) => failures.push(err));
    worker.on('error', (err: Error) => failures.push(err));
    const releaseKey = `bull:${name}:release`;
    const started = once<[Job, unknown]>(worker, 'progress', 10000);
    const completed = once<[Job, any]>(worker, 'completed', 15000);
    const parent = await queue.add('parent', { action: 'wait-children', releaseKey });
    await started;
    await kids.add('kid', { k: 1 }, { jobId: 'kid1', parent: { id: parent.id!, queue: queue.qualifiedName } });
    await scope.redis.rpush(releaseKey, 'go');
    await until(
      'the parent to wait for its child',
      () => queue.getJobState(parent.id!),
      (state) => state === 'waiting-children',
    );

    scope.track(new Worker(kidsName, async () => 'kid done', { connection: connection() }));
    const [job, result] = await completed;
    expect(job.id).toBe(parent.id);
    expect(result).toEqual({ children: { [`bull:${kidsName}:kid1`]: 'kid done' } });
    expect(failures).toEqual([]);
  });

  it.each([
    ['an ES module (.js under "type": "module")', 'processor.js', { file: 'processor.js' }],
    ['an ES module (.mjs)', 'processor.mjs', {}],
    ['a CommonJS module (.cjs)', 'processor.cjs', {}],
    ['compiled TypeScript (exports.default)', 'exports-default.cjs', { via: 'exports.default' }],
  ])('loads %s, given as a path or a file: URL', async (_kind, file, extra) => {
    for (const processor of [fixture(file), fixtureUrl(file)]) {
      const { queue, worker } = sandboxed(scope, processor, { useWorkerThreads });
      const completed = once<[Job, any]>(worker, 'completed', 10000);
      await queue.add('n', { n: 7 });
      const [, result] = await completed;
      expect(result).toMatchObject({ n: 7, ...extra });
      if ('pid' in result) expect(childId(result as Where, useWorkerThreads)).toBeGreaterThan(0);
    }
  });
});
