// What a child's final failure does to its parent (wire-format §7.4 step 7, §7.10, §7.13), with
// Conveyor workers on both sides: failParentOnFailure, continueParentOnFailure,
// ignoreDependencyOnFailure, removeDependencyOnFailure, no rule; and a parent that cannot complete.
import { UnrecoverableError, type Job, type JobsOptions } from '../../lib/index.js';
import { once } from '../support/events.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

/** A child processor: children named "bad" fail, others return their data's n. */
async function childProcessor(job: Job): Promise<unknown> {
  if (job.name === 'bad') throw new Error(`boom ${job.id}`);
  return { n: job.data.n };
}

describe('flow parent options', () => {
  const scope = scopePerTest('flow');

  /** A parent "P" in qp with a failing child "bad" (opts) and, unless `alone`, a delayed child "slow". */
  async function flowWithFailingChild(badOpts: JobsOptions, { alone = false, parentOpts = {} as JobsOptions } = {}) {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const children = [{ name: 'bad', queueName: qc, data: {}, opts: { jobId: 'bad', ...badOpts } }];
    if (!alone) children.push({ name: 'slow', queueName: qc, data: { n: 2 } as never, opts: { jobId: 'slow', delay: 60_000 } });
    const tree = await scope.producer().add({ name: 'parent', queueName: qp, data: {}, opts: { jobId: 'P', ...parentOpts }, children });
    const childWorker = scope.worker(qc, childProcessor);
    await once(childWorker, 'failed', 5000);
    return { qp, qc, parent: tree.job, badKey: `bull:${qc}:bad`, slowKey: `bull:${qc}:slow` };
  }

  it('failParentOnFailure: the parent is released with a deferred failure and fails without running', async () => {
    const { qp, parent, badKey, slowKey } = await flowWithFailingChild({ failParentOnFailure: true });
    const r = scope.redis;
    const state = await until(
      'parent released',
      () => parent.getState(),
      (s) => s === 'waiting',
    );
    expect(state).toBe('waiting');
    expect(await r.hget(parent.key, 'defa')).toBe(`child ${badKey} failed`);
    expect(await r.zrange(`${parent.key}:unsuccessful`, 0, -1)).toEqual([badKey]);
    expect(await r.smembers(`${parent.key}:dependencies`)).toEqual([slowKey]);
    expect(await parent.getDependenciesCount()).toEqual({ processed: 0, unprocessed: 1, failed: 1, ignored: 0 });

    let ran = false;
    const parentWorker = scope.worker(qp, async () => {
      ran = true;
    });
    const [failed, error] = await once(parentWorker, 'failed', 5000);
    expect(failed.id).toBe('P');
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(`child ${badKey} failed`);
    expect(ran).toBe(false);
    expect(await parent.getState()).toBe('failed');
    expect(await r.hexists(parent.key, 'defa')).toBe(0);
    expect(await r.hget(parent.key, 'failedReason')).toBe(`child ${badKey} failed`);
  });

  it('failParentOnFailure cascades: a failed grandchild fails the parent, which fails the grandparent', async () => {
    const [qa, qb, qc] = [scope.name('fa'), scope.name('fb'), scope.name('fc')];
    const tree = await scope.producer().add({
      name: 'top',
      queueName: qa,
      data: {},
      children: [
        {
          name: 'mid',
          queueName: qb,
          data: {},
          opts: { failParentOnFailure: true },
          children: [{ name: 'bad', queueName: qc, data: {}, opts: { failParentOnFailure: true } }],
        },
      ],
    });
    const midKey = tree.children![0].job.key;
    const badKey = tree.children![0].children![0].job.key;
    const ran: string[] = [];
    const processor = async (job: Job) => {
      ran.push(job.name);
      return childProcessor(job);
    };
    scope.worker(qc, processor);
    scope.worker(qb, processor);
    const top = scope.worker(qa, processor);
    const [failedTop, error] = await once(top, 'failed', 10000);
    expect(failedTop.id).toBe(tree.job.id);
    expect(error.message).toBe(`child ${midKey} failed`);
    expect(ran).toEqual(['bad']);
    expect(await scope.redis.hget(midKey, 'failedReason')).toBe(`child ${badKey} failed`);
    expect(await scope.redis.zrange(`${tree.job.key}:unsuccessful`, 0, -1)).toEqual([midKey]);
  });

  it('failParentOnFailure on a delayed parent: released to delayed (its delay still applies) carrying the deferred failure', async () => {
    const { qp, parent, badKey } = await flowWithFailingChild(
      { failParentOnFailure: true },
      { alone: true, parentOpts: { delay: 60_000 } },
    );
    const state = await until(
      'parent released',
      () => parent.getState(),
      (s) => s !== 'waiting-children',
    );
    expect(state).toBe('delayed');
    expect(await scope.redis.hget(parent.key, 'defa')).toBe(`child ${badKey} failed`);
    const events = (await streamEvents(scope.redis, qp)).map((e) => e.event);
    expect(events).toEqual(['added', 'waiting-children', 'delayed']);
  });

  it('continueParentOnFailure: the parent is released at once, other children still pending; it reads the failure', async () => {
    const { qp, parent, badKey, slowKey } = await flowWithFailingChild({ continueParentOnFailure: true });
    await until(
      'parent released',
      () => parent.getState(),
      (s) => s === 'waiting',
    );
    expect(await scope.redis.smembers(`${parent.key}:dependencies`)).toEqual([slowKey]);
    let seen: unknown[] = [];
    const parentWorker = scope.worker(qp, async (job: Job) => {
      seen = [await job.getFailedChildrenValues(), await job.getIgnoredChildrenFailures(), await job.getChildrenValues()];
      return 'went on';
    });
    // it still has a pending child: completing is refused (-4) and the worker fails it as BullMQ does
    const [failed, error] = await once(parentWorker, 'failed', 5000);
    expect(failed.id).toBe('P');
    expect(error.message).toBe('Job P has pending dependencies. moveToFinished');
    expect(seen).toEqual([{ [badKey]: 'boom bad' }, { [badKey]: 'boom bad' }, {}]);
    expect(await scope.redis.hget(parent.key, 'failedReason')).toBe('Job P has pending dependencies. moveToFinished');
  });

  it('ignoreDependencyOnFailure: the failure is recorded and the parent waits for the other children only', async () => {
    const { qp, qc, parent, badKey } = await flowWithFailingChild({ ignoreDependencyOnFailure: true });
    const r = scope.redis;
    expect(await r.hgetall(`${parent.key}:failed`)).toEqual({ [badKey]: 'boom bad' });
    expect(await parent.getState()).toBe('waiting-children');
    // the last child completes: the parent goes, and sees the completed and the ignored child
    await scope.queue(qc).promoteJobs();
    await until(
      'parent released',
      () => parent.getState(),
      (s) => s === 'waiting',
    );
    const parentWorker = scope.worker(qp, async (job: Job) => ({
      values: await job.getChildrenValues(),
      ignored: await job.getIgnoredChildrenFailures(),
    }));
    const [, result] = await once(parentWorker, 'completed', 5000);
    expect(result).toEqual({ values: { [`bull:${qc}:slow`]: { n: 2 } }, ignored: { [badKey]: 'boom bad' } });
  });

  it('removeDependencyOnFailure: the failed child is forgotten; the parent goes once the rest is done', async () => {
    const { qc, parent, badKey } = await flowWithFailingChild({ removeDependencyOnFailure: true });
    const r = scope.redis;
    expect(await r.smembers(`${parent.key}:dependencies`)).toEqual([`bull:${qc}:slow`]);
    expect(await r.exists(`${parent.key}:failed`, `${parent.key}:unsuccessful`)).toBe(0);
    expect(await r.hget(badKey, 'parentKey')).toBe(parent.key);
    await scope.queue(qc).promoteJobs();
    expect(
      await until(
        'parent released',
        () => parent.getState(),
        (s) => s === 'waiting',
      ),
    ).toBe('waiting');
    expect(await parent.getDependencies()).toEqual({
      processed: { [`bull:${qc}:slow`]: { n: 2 } },
      unprocessed: [],
      failed: [],
      ignored: {},
    });
  });

  it('no rule: the failed child stays a pending dependency and the parent keeps waiting', async () => {
    const { parent, badKey, slowKey } = await flowWithFailingChild({});
    const r = scope.redis;
    expect((await r.smembers(`${parent.key}:dependencies`)).sort()).toEqual([badKey, slowKey].sort());
    expect(await parent.getState()).toBe('waiting-children');
    expect(await r.exists(`${parent.key}:failed`, `${parent.key}:unsuccessful`, `${parent.key}:processed`)).toBe(0);
  });

  it('no rule, removed at once on failure: the child leaves the dependencies and a parent waiting only for it goes', async () => {
    const { parent, badKey } = await flowWithFailingChild({ removeOnFail: true }, { alone: true });
    expect(await scope.redis.exists(badKey)).toBe(0);
    expect(
      await until(
        'parent released',
        () => parent.getState(),
        (s) => s === 'waiting',
      ),
    ).toBe('waiting');
    expect(await scope.redis.exists(`${parent.key}:dependencies`)).toBe(0);
  });

  it('a parent whose child failed with failParentOnFailure while it ran cannot complete: it fails, without retries', async () => {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const children = scope.queue(qc);
    const childWorker = scope.worker(qc, childProcessor);
    const childFailed = once(childWorker, 'failed', 5000);
    const parentWorker = scope.worker(qp, async (job: Job) => {
      await children.add('bad', {}, { jobId: 'kid', failParentOnFailure: true, parent: { id: job.id!, queue: job.queueQualifiedName } });
      await childFailed;
      return 'done';
    });
    const errors: Error[] = [];
    parentWorker.on('error', (err: Error) => errors.push(err));
    await scope.queue(qp).add('parent', {}, { jobId: 'PA', attempts: 3 });
    const [failed, error] = await once(parentWorker, 'failed', 5000);
    const message = 'Cannot complete job PA because it has at least one failed child. moveToFinished';
    expect(failed.id).toBe('PA');
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(error.message).toBe(message);
    expect(failed.attemptsMade).toBe(1);
    expect(errors.map((e) => e.message)).toEqual([message]);
    const hash = await scope.redis.hgetall(`bull:${qp}:PA`);
    expect(hash.failedReason).toBe(message);
    expect(hash.defa).toBeUndefined();
    expect((await streamEvents(scope.redis, qp)).map((e) => e.event).filter((e) => e !== 'drained')).toEqual([
      'added',
      'waiting',
      'active',
      'failed',
    ]);
  });

  it('a parent that returns while a child is pending is failed with the pending-dependencies reason and retried', async () => {
    const qp = scope.name('fp');
    const qc = scope.name('fc');
    const children = scope.queue(qc);
    let runs = 0;
    const parentWorker = scope.worker(qp, async (job: Job) => {
      runs += 1;
      await children.add('kid', {}, { jobId: `kid-${runs}`, delay: 60_000, parent: { id: job.id!, queue: job.queueQualifiedName } });
      return 'too early';
    });
    parentWorker.on('error', () => {});
    await scope.queue(qp).add('parent', {}, { jobId: 'PA', attempts: 2 });
    const [failed, error] = await once<[Job, Error]>(parentWorker, 'failed', 5000, (job) => job.attemptsMade === 2);
    expect(error.message).toBe('Job PA has pending dependencies. moveToFinished');
    expect(failed.id).toBe('PA');
    expect(runs).toBe(2);
    expect(await scope.redis.zscore(`bull:${qp}:failed`, 'PA')).not.toBeNull();
    expect((await scope.redis.smembers(`bull:${qp}:PA:dependencies`)).sort()).toEqual([`bull:${qc}:kid-1`, `bull:${qc}:kid-2`]);
  });
});
