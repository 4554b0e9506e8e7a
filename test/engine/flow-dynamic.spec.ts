// Children added at run time by a processor, Job#moveToWaitingChildren (wire-format §7.11) and
// Job#removeChildDependency (§7.9).
import { ConveyorScriptError, ConveyorValidationError, ErrorCode, Job, UnrecoverableError, WaitingChildrenError } from '../../lib/index.js';
import { once } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

const history = async (scope: Scope, queue: string, jobId: string) =>
  (await streamEvents(scope.redis, queue)).filter((e) => e.jobId === jobId).map((e) => `${e.event}${e.prev ? `<${e.prev}` : ''}`);

describe('dynamic children', () => {
  const scope = scopePerTest('flow');

  it('a processor adds children, waits for them with moveToWaitingChildren + WaitingChildrenError, then completes with their values', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const children = scope.queue(qc);
    const steps: unknown[] = [];
    const parentWorker = scope.worker(qp, async (job: Job, token?: string) => {
      if (job.data.step === 'start') {
        await children.add('kid', { k: 1 }, { jobId: 'kid1', parent: { id: job.id!, queue: job.queueQualifiedName } });
        await children.add('kid', { k: 2 }, { jobId: 'kid2', delay: 100, parent: { id: job.id!, queue: job.queueQualifiedName } });
        await job.updateData({ step: 'wait' });
        steps.push(['moved', await job.moveToWaitingChildren(token!)]);
        // children are processed only once the parent waits, so none can finish before the move
        scope.worker(qc, async (kid: Job) => ({ kid: kid.data.k }));
        throw new WaitingChildrenError();
      }
      const moved = await job.moveToWaitingChildren(token!);
      steps.push(['again', moved, await job.getDependenciesCount()]);
      return job.getChildrenValues();
    });
    let failures = 0;
    parentWorker.on('failed', () => failures++);
    await scope.queue(qp).add('parent', { step: 'start' }, { jobId: 'PP' });
    const [done, values] = await once(parentWorker, 'completed', 5000);
    expect(done.id).toBe('PP');
    expect(values).toEqual({ [`bull:${qc}:kid1`]: { kid: 1 }, [`bull:${qc}:kid2`]: { kid: 2 } });
    expect(steps).toEqual([
      ['moved', true],
      ['again', false, { processed: 2, unprocessed: 0, failed: 0, ignored: 0 }],
    ]);
    expect(failures).toBe(0);
    expect(await history(scope, qp, 'PP')).toEqual([
      'added',
      'waiting',
      'active<waiting',
      'waiting-children<active',
      'waiting<waiting-children',
      'active<waiting',
      'completed<active',
    ]);
    // the lock went with the move; the second run took a new one and released it on completion
    expect(await scope.redis.exists(`bull:${qp}:PP:lock`)).toBe(0);
  });

  it('moveToWaitingChildren with a child waits only while that child is pending', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const children = scope.queue(qc);
    const answers: boolean[] = [];
    scope.worker(qp, async (job: Job, token?: string) => {
      const parent = { id: job.id!, queue: job.queueQualifiedName };
      await children.add('kid', {}, { jobId: 'kid1', delay: 60_000, parent });
      // not a dependency of this job: nothing to wait for
      answers.push(await job.moveToWaitingChildren(token!, { child: { id: 'other', queue: `bull:${qc}` } }));
      answers.push(await job.moveToWaitingChildren(token!, { child: { id: 'kid1', queue: `bull:${qc}` } }));
      throw new WaitingChildrenError();
    });
    await scope.queue(qp).add('parent', {}, { jobId: 'PP' });
    // the processor's answers, not the key: Redis may show the move before the reply is read
    await until(
      'both answers of moveToWaitingChildren',
      () => answers.length,
      (n) => n === 2,
    );
    expect(answers).toEqual([false, true]);
    expect(await scope.redis.zscore(`bull:${qp}:waiting-children`, 'PP')).not.toBeNull();
    expect(await scope.redis.lrange(`bull:${qp}:active`, 0, -1)).toEqual([]);
  });

  it('moveToWaitingChildren refuses a wrong lock, a job that is not active, and a missing job; a lapsed lock of a job still in active goes through', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const children = scope.queue(qc);
    const seen: unknown[] = [];
    const parentWorker = scope.worker(qp, async (job: Job, token?: string) => {
      await children.add('kid', {}, { jobId: 'kid1', delay: 60_000, parent: { id: job.id!, queue: job.queueQualifiedName } });
      for (const attempt of [
        () => job.moveToWaitingChildren('not-mine'),
        () => job.moveToWaitingChildren(undefined as never),
        () => job.moveToWaitingChildren(token!, { child: 'kid1' } as never),
      ]) {
        try {
          await attempt();
        } catch (err) {
          seen.push([(err as Error).constructor.name, (err as Error).message, (err as ConveyorScriptError).code]);
        }
      }
      // a lock that ran out while the job stayed in active: nobody else has it, so the move goes through
      await scope.redis.del(`${job.key}:lock`);
      seen.push(await job.moveToWaitingChildren(token!));
      throw new WaitingChildrenError();
    });
    await scope.queue(qp).add('parent', {}, { jobId: 'PP' });
    await until(
      'parent waiting for its child',
      () => scope.redis.zscore(`bull:${qp}:waiting-children`, 'PP'),
      (s) => s !== null,
    );
    expect(seen).toEqual([
      ['ConveyorScriptError', 'Lock mismatch for job PP. Cmd moveToWaitingChildren from active', ErrorCode.JobLockMismatch],
      ['ConveyorValidationError', 'token must be the lock token the processor received (a string), got undefined', undefined],
      [
        'ConveyorValidationError',
        'moveToWaitingChildren options.child must be { id: string, queue: \'<prefix>:<queue>\' }, got "kid1"',
        undefined,
      ],
      true,
    ]);
    expect(await scope.redis.exists(`bull:${qp}:PP:lock`)).toBe(0);

    // a waiting job with pending children, moved without a lock check ("0"): not in active
    const queue = scope.queue(qp);
    await parentWorker.close();
    const waiting = await queue.add('idle', {}, { jobId: 'W' });
    await children.add('kid', {}, { jobId: 'kidW', delay: 60_000, parent: { id: 'W', queue: queue.qualifiedName } });
    await expect(waiting.moveToWaitingChildren('0')).rejects.toMatchObject({
      code: ErrorCode.JobNotInState,
      message: 'Job W is not in the active state. moveToWaitingChildren',
    });
    const ghost = new Job(queue, 'ghost', {}, {}, 'ghost');
    await expect(ghost.moveToWaitingChildren('0')).rejects.toThrow('Missing key for job ghost. moveToWaitingChildren');
    await expect(new Job(queue, 'unsaved', {}).moveToWaitingChildren('0')).rejects.toThrow(ConveyorValidationError);
  });

  it('moveToWaitingChildren after a child failed with failParentOnFailure rejects with UnrecoverableError: no retry', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const children = scope.queue(qc);
    const childWorker = scope.worker(qc, async () => {
      throw new Error('kid broke');
    });
    const childFailed = once(childWorker, 'failed', 5000);
    let caught: unknown;
    const parentWorker = scope.worker(qp, async (job: Job, token?: string) => {
      await children.add('kid', {}, { jobId: 'kid1', failParentOnFailure: true, parent: { id: job.id!, queue: job.queueQualifiedName } });
      await children.add('kid', {}, { jobId: 'kid2', delay: 60_000, parent: { id: job.id!, queue: job.queueQualifiedName } });
      await childFailed;
      try {
        await job.moveToWaitingChildren(token!);
      } catch (err) {
        caught = err;
        throw err;
      }
    });
    await scope.queue(qp).add('parent', {}, { jobId: 'PP', attempts: 3 });
    const [failed, error] = await once(parentWorker, 'failed', 5000);
    const message = 'Cannot complete job PP because it has at least one failed child. moveToWaitingChildren';
    expect(caught).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(message);
    expect(failed.attemptsMade).toBe(1);
    expect(await scope.redis.zscore(`bull:${qp}:failed`, 'PP')).not.toBeNull();
  });

  it('removeChildDependency detaches a pending child; the parent goes when it was the last one', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const tree = await scope.producer().add({
      name: 'parent',
      queueName: qp,
      data: {},
      opts: { jobId: 'P' },
      children: [
        { name: 'a', queueName: qc, data: {}, opts: { jobId: 'a', delay: 60_000 } },
        { name: 'b', queueName: qc, data: {}, opts: { jobId: 'b', delay: 60_000 } },
      ],
    });
    const [a, b] = tree.children!.map((n) => n.job);
    const r = scope.redis;
    expect(await a.removeChildDependency()).toBe(true);
    expect(a.parentKey).toBeUndefined();
    expect(a.parent).toBeUndefined();
    const hashA = await r.hgetall(a.key);
    expect(hashA.parentKey).toBeUndefined();
    expect(hashA.parent).toBeUndefined();
    // its stored options still name the parent, as in BullMQ
    expect(JSON.parse(hashA.opts).parent).toEqual({ id: 'P', queue: `bull:${qp}` });
    expect(await r.smembers(`bull:${qp}:P:dependencies`)).toEqual([b.key]);
    expect(await tree.job.getState()).toBe('waiting-children');
    // detached: it has no parent any more
    await expect(a.removeChildDependency()).rejects.toMatchObject({
      code: ErrorCode.ParentJobNotExist,
      message: 'Missing key for parent job undefined. removeChildDependency',
    });

    expect(await b.removeChildDependency()).toBe(true);
    expect(await tree.job.getState()).toBe('waiting');
    expect(await history(scope, qp, 'P')).toEqual(['added', 'waiting-children', 'waiting<waiting-children']);
  });

  it('removeChildDependency answers false for a finished child, and refuses a missing job or a missing parent', async () => {
    const [qp, qc] = [scope.name('dp'), scope.name('dc')];
    const tree = await scope.producer().add({
      name: 'parent',
      queueName: qp,
      data: {},
      opts: { jobId: 'P' },
      children: [
        { name: 'done', queueName: qc, data: {}, opts: { jobId: 'done' } },
        { name: 'late', queueName: qc, data: {}, opts: { jobId: 'late', delay: 60_000 } },
      ],
    });
    const worker = scope.worker(qc, async () => 'ok');
    await once(worker, 'completed', 5000);
    const [done, late] = tree.children!.map((n) => n.job);
    expect(await done.removeChildDependency()).toBe(false);
    expect(await scope.redis.hget(done.key, 'parentKey')).toBe(`bull:${qp}:P`);

    const queue = scope.queue(qc);
    await expect(new Job(queue, 'ghost', {}, {}, 'ghost').removeChildDependency()).rejects.toMatchObject({ code: ErrorCode.JobNotExist });
    await tree.job.remove({ removeChildren: false });
    await expect(late.removeChildDependency()).rejects.toMatchObject({ code: ErrorCode.ParentJobNotExist });
    const plain = await queue.add('plain', {}, { delay: 60_000 });
    await expect(plain.removeChildDependency()).rejects.toThrow(ConveyorScriptError);
  });
});
