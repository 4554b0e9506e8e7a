// What a processor's outcome does to its job: DelayedError / WaitingError / WaitingChildrenError
// after moving the job (left where it was moved, no failed/completed event), the same errors
// without a move (the attempt fails at once, instead of the job staying locked in active as with
// bullmq 6.7), UnrecoverableError and job.discard() (no retries).
import { DelayedError, Queue, UnrecoverableError, WaitingChildrenError, WaitingError, Worker, type Job } from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { activate, eventLines, lists } from './outcomes-support.js';

describe('Processor outcomes', () => {
  const scope = scopePerTest();

  function worker(name: string, processor: (job: Job, token?: string) => Promise<unknown>, opts: Record<string, unknown> = {}): Worker {
    const w = scope.track(new Worker(name, processor, { connection: connection(), ...opts }));
    w.on('error', () => {});
    return w;
  }

  function failures(w: Worker): string[] {
    const seen: string[] = [];
    w.on('failed', (job: Job | undefined, err: Error) => seen.push(`${job?.id}: ${err.message}`));
    return seen;
  }

  it('DelayedError after job.moveToDelayed: the job waits in delayed, no attempt used, no failed or completed event for that run', async () => {
    const queue = scope.queue();
    const w = worker(queue.name, async (job, token) => {
      if (job.attemptsStarted === 1) {
        await job.moveToDelayed(Date.now() + 300, token);
        throw new DelayedError();
      }
      return 'second run';
    });
    const failed = failures(w);
    const completions: unknown[] = [];
    w.on('completed', (_job: Job, result: unknown) => completions.push(result));
    const completed = once<[Job]>(w, 'completed', 5000);
    const job = await queue.add('d', {}, { attempts: 1 });
    await completed;
    expect(failed).toEqual([]);
    expect(completions).toEqual(['second run']);
    const hash = await scope.redis.hgetall(`bull:${queue.name}:${job.id}`);
    // two starts, one attempt: the delay did not count
    expect([hash.ats, hash.atm]).toEqual(['2', '1']);
    expect((await eventLines(scope.redis, queue.name)).slice(0, 7)).toEqual([
      `added ${job.id}`,
      `waiting ${job.id}`,
      `active ${job.id} waiting`,
      `delayed ${job.id}`,
      `waiting ${job.id} delayed`,
      `active ${job.id} waiting`,
      `completed ${job.id} active`,
    ]);
  });

  it('WaitingError after job.moveToWait: the job runs again next, before the jobs behind it, without using an attempt', async () => {
    const queue = scope.queue();
    const order: string[] = [];
    const w = worker(
      queue.name,
      async (job, token) => {
        order.push(`${job.name}#${job.attemptsStarted}`);
        if (job.name === 'a' && job.attemptsStarted === 1) {
          await job.moveToWait(token);
          throw new WaitingError();
        }
        return job.name;
      },
      { autorun: false },
    );
    const failed = failures(w);
    const a = await queue.add('a', {});
    await queue.add('b', {});
    const done = times(w, 'completed', 2, 5000);
    void w.run();
    await done;
    expect(order).toEqual(['a#1', 'a#2', 'b#1']);
    expect(failed).toEqual([]);
    expect(await scope.redis.hmget(`bull:${queue.name}:${a.id}`, 'ats', 'atm')).toEqual(['2', '1']);
    expect(await eventLines(scope.redis, queue.name)).toContain(`waiting ${a.id} active`);
  });

  it('WaitingChildrenError after job.moveToWaitingChildren: the parent waits for its child, then completes; no failed event', async () => {
    const queue = scope.queue();
    const childQueue = scope.queue();
    // the child's worker starts only once the parent waits, so the child cannot finish first
    let childWorker: ReturnType<typeof worker> | undefined;
    const w = worker(queue.name, async (job, token) => {
      if (job.attemptsStarted === 1) {
        await childQueue.add('child', {}, { parent: { id: job.id!, queue: job.queueQualifiedName } });
        if (await job.moveToWaitingChildren(token!)) {
          childWorker = worker(childQueue.name, async () => 'child done');
          throw new WaitingChildrenError();
        }
      }
      return job.getChildrenValues();
    });
    const failed = failures(w);
    const completed = once<[Job, unknown]>(w, 'completed', 10000);
    const parent = await queue.add('parent', {});
    const [, result] = await completed;
    expect(Object.values(result as Record<string, unknown>)).toEqual(['child done']);
    expect(failed).toEqual([]);
    expect(await eventLines(scope.redis, queue.name)).toContain(`waiting-children ${parent.id} active`);
    expect(await scope.redis.hmget(`bull:${queue.name}:${parent.id}`, 'ats', 'atm')).toEqual(['2', '1']);
    await childWorker?.close();
  });

  describe.each([
    ['DelayedError', () => new DelayedError(), 'call job.moveToDelayed(timestamp, token) before throwing DelayedError'],
    ['WaitingError', () => new WaitingError(), 'call job.moveToWait(token) before throwing WaitingError'],
    [
      'WaitingChildrenError',
      () => new WaitingChildrenError(),
      'throw WaitingChildrenError only when job.moveToWaitingChildren(token) resolved true',
    ],
  ])('%s thrown without moving the job', (name, make, hint) => {
    it('fails the attempt at once with a reason saying so (retries apply), instead of leaving it locked in active', async () => {
      const queue = scope.queue();
      const w = worker(queue.name, async () => {
        throw make();
      });
      const failed = failures(w);
      // well before the 30 s lock could expire and the stalled checker could step in
      const final = once<[Job, Error]>(w, 'failed', 5000, (job: Job) => job.attemptsMade === 2);
      const job = await queue.add('j', {}, { attempts: 2 });
      const [, error] = await final;
      const reason = `The processor threw ${name} but job ${job.id} was not moved: ${hint}`;
      expect(error.message).toBe(reason);
      expect(error.name).toBe('JobNotMovedError');
      expect(failed).toEqual([`${job.id}: ${reason}`, `${job.id}: ${reason}`]);
      const hash = await scope.redis.hgetall(`bull:${queue.name}:${job.id}`);
      expect([hash.failedReason, hash.atm, hash.ats]).toEqual([reason, '2', '2']);
      expect((await lists(scope.redis, queue.name)).failed).toEqual([job.id]);
      expect(await scope.redis.exists(`bull:${queue.name}:${job.id}:lock`)).toBe(0);
    });
  });

  it('a job moved, then taken again with the same token (as a fetch-next does) before the error arrives, is left to its new run', async () => {
    const queue = scope.queue();
    const other = scope.track(new Queue(queue.name, { connection: connection() }));
    let token = '';
    const w = worker(queue.name, async (job, t) => {
      token = t!;
      await job.moveToWait(t);
      // another run of the job now holds it in active, with the same token and one more start
      await activate(other, t!);
      throw new WaitingError();
    });
    const failed = failures(w);
    const active = once(w, 'active', 5000);
    const job = await queue.add('j', {});
    await active;
    // the worker lets go of the job once it has checked Redis (no event says so)
    await until(
      'the worker to let go of the job',
      () => w.activeJobs.length,
      (n) => n === 0,
    );
    expect(failed).toEqual([]);
    const state = await lists(scope.redis, queue.name);
    expect(state.active).toEqual([job.id]);
    expect(state.failed).toEqual([]);
    expect(await scope.redis.get(`bull:${queue.name}:${job.id}:lock`)).toBe(token);
    expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'ats')).toBe('2');
  });

  it('UnrecoverableError fails the job at once, whatever attempts remain', async () => {
    const queue = scope.queue();
    const w = worker(queue.name, async () => {
      throw new UnrecoverableError('give up');
    });
    const failed = once<[Job, Error]>(w, 'failed', 5000);
    const job = await queue.add('u', {}, { attempts: 5, backoff: 1000 });
    const [, error] = await failed;
    expect(error.message).toBe('give up');
    expect(await scope.redis.hmget(`bull:${queue.name}:${job.id}`, 'atm', 'failedReason')).toEqual(['1', 'give up']);
    expect((await lists(scope.redis, queue.name)).failed).toEqual([job.id]);
  });

  it('job.discard(): the next failure is final, whatever attempts remain', async () => {
    const queue = scope.queue();
    const w = worker(queue.name, async (job) => {
      expect(job.discarded).toBe(false);
      job.discard();
      expect(job.discarded).toBe(true);
      throw new Error('no retry for this one');
    });
    const failed = failures(w);
    const final = once<[Job, Error]>(w, 'failed', 5000);
    const job = await queue.add('x', {}, { attempts: 4 });
    await final;
    expect(failed).toEqual([`${job.id}: no retry for this one`]);
    expect(await scope.redis.hmget(`bull:${queue.name}:${job.id}`, 'atm', 'ats')).toEqual(['1', '1']);
    expect((await lists(scope.redis, queue.name)).failed).toEqual([job.id]);
    // discard is a mark on the object, as in BullMQ: it is not stored and not in the JSON
    expect(JSON.stringify(await queue.getJob(job.id!))).not.toContain('discard');
  });
});
