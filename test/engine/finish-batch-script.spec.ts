// moveToFinished and the fetch, driven straight through their scripts with several jobs per call:
// what they gather into one command for the call (lock DELs, the SREM from stalled, ZADDs to
// completed/failed, one EXISTS for the dependencies, one RPOP/LPUSH from wait to active) must
// leave Redis as one command per job did, whatever the jobs of the call do to one another.
import { runScript } from '../../lib/engine/core/scripts.js';
import { parseFetchReply } from '../../lib/engine/job/fetch-reply.js';
import { appendFurtherJob, finishJobArgs, moveToActiveArgs, moveToFinishedArgs } from '../../lib/engine/job/finish-args.js';
import { type Job } from '../../lib/engine/job/job.js';
import { moveSettingsOf, type MoveSettings } from '../../lib/engine/job/move-settings.js';
import type { Queue } from '../../lib/engine/queue/queue.js';
import { resolveWorkerOptions } from '../../lib/engine/worker/options.js';
import { scopePerTest } from '../support/scope.js';
import { activate, lists } from './outcomes-support.js';

describe('moveToFinished and the fetch with several jobs per call', () => {
  const scope = scopePerTest();
  const moves: MoveSettings = moveSettingsOf({ opts: resolveWorkerOptions({}) } as never);

  interface Finish {
    job: Job;
    target: 'completed' | 'failed';
    value?: string;
    keep?: boolean | number;
    stacktrace?: string;
  }

  /** One moveToFinished call for `finishes` (in order), fetching `fetch` jobs; the reply as it came. */
  async function finishAll(queue: Queue, finishes: Finish[], fetch = 0): Promise<unknown> {
    const each = finishes.map((f) =>
      finishJobArgs(f.job, f.job.token!, f.target, f.value ?? (f.target === 'completed' ? 'null' : 'boom'), f.keep, f.stacktrace ?? ''),
    );
    const args = moveToFinishedArgs(queue.keys.base, each[0], Date.now(), fetch, moves);
    for (let i = 1; i < each.length; i++) appendFurtherJob(args, each[i], each[i - 1]);
    return runScript(
      scope.redis,
      'moveToFinished',
      finishes.map((f) => f.job.key),
      args,
    );
  }

  /** Each job's code: one job's reply starts with it (or is it), several jobs' with their list. */
  const codesOf = (reply: unknown): number[] => {
    const head = Array.isArray(reply) ? reply[0] : reply;
    return Array.isArray(head) ? (head as number[]) : [head as number];
  };

  it('finishes many jobs: locks gone, out of stalled and active, in completed and failed at the same time', async () => {
    const queue = scope.queue();
    await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: `j${i}`, data: {} })));
    const jobs: Job[] = [];
    for (let i = 0; i < 6; i++) jobs.push(await activate(queue, `tok${i % 2}`));
    // the stalled checker marked them all
    await scope.redis.sadd(`bull:${queue.name}:stalled`, ...jobs.map((j) => j.id!));
    const reply = await finishAll(
      queue,
      jobs.map((job, i) => ({ job, target: i % 3 === 2 ? 'failed' : 'completed' })),
    );
    expect(codesOf(reply)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const job of jobs) expect(await scope.redis.exists(`${job.key}:lock`)).toBe(0);
    expect(await scope.redis.smembers(`bull:${queue.name}:stalled`)).toEqual([]);
    const state = await lists(scope.redis, queue.name);
    expect(state.active).toEqual([]);
    const completed = await scope.redis.zrange(`bull:${queue.name}:completed`, 0, -1, 'WITHSCORES');
    const failed = await scope.redis.zrange(`bull:${queue.name}:failed`, 0, -1, 'WITHSCORES');
    expect(completed.filter((_, i) => i % 2 === 0).sort()).toEqual([0, 1, 3, 4].map((i) => jobs[i].id).sort());
    expect(failed.filter((_, i) => i % 2 === 0).sort()).toEqual([2, 5].map((i) => jobs[i].id).sort());
    const scores = new Set([...completed, ...failed].filter((_, i) => i % 2 === 1));
    expect(scores.size).toBe(1);
    const finishedOn = await scope.redis.hget(jobs[0].key, 'finishedOn');
    expect([...scores]).toEqual([finishedOn]);
  });

  it('the same call run again (ioredis sends it again when its reply was lost) finds its jobs finished: 0 each, nothing written twice', async () => {
    const queue = scope.queue();
    await queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const a = await activate(queue, 'tok');
    const b = await activate(queue, 'tok');
    // a with the atm its finish writes (the worker's usual case), b read by the script
    const each = [
      finishJobArgs(a, 'tok', 'completed', '"x"', undefined, '', '1'),
      finishJobArgs(b, 'tok', 'failed', 'boom', undefined, ''),
    ];
    const callAt = (now: number) => {
      const args = moveToFinishedArgs(queue.keys.base, each[0], now, 0, moves);
      appendFurtherJob(args, each[1], each[0]);
      return runScript(scope.redis, 'moveToFinished', [a.key, b.key], args);
    };
    const now = Date.now();
    expect(codesOf(await callAt(now))).toEqual([0, 0]);
    const written = async () => ({
      hashes: [await scope.redis.hgetall(a.key), await scope.redis.hgetall(b.key)],
      events: await scope.redis.xrange(`bull:${queue.name}:events`, '-', '+'),
      lists: await lists(scope.redis, queue.name),
    });
    const before = await written();
    expect(before.hashes.map((h) => [h.atm, h.finishedOn])).toEqual([
      ['1', String(now)],
      ['1', String(now)],
    ]);
    expect(codesOf(await callAt(now))).toEqual([0, 0]);
    expect(await written()).toEqual(before);
    // another call (another instant) finds their locks gone, as before
    expect(codesOf(await callAt(now + 1))).toEqual([-2, -2]);
  });

  it('a late finish of an older activation at the same instant is refused: the instant alone does not name the call', async () => {
    const queue = scope.queue();
    await queue.add('a', {});
    const stale = await activate(queue, 'frozen');
    // its lock ran out and the job went back to wait; another worker took it (ats 2) and finished it
    await scope.redis.del(`${stale.key}:lock`);
    await scope.redis.lrem(`bull:${queue.name}:active`, 0, stale.id!);
    await scope.redis.rpush(`bull:${queue.name}:wait`, stale.id!);
    const winner = await activate(queue, 'winner');
    expect([stale.attemptsStarted, winner.attemptsStarted]).toEqual([1, 2]);
    const now = Date.now();
    const finishAt = (job: Job) =>
      runScript(
        scope.redis,
        'moveToFinished',
        [job.key],
        moveToFinishedArgs(queue.keys.base, finishJobArgs(job, job.token!, 'completed', '"same"', undefined, '', '1'), now, 0, moves),
      );
    expect(codesOf(await finishAt(winner))).toEqual([0]);
    expect(codesOf(await finishAt(stale))).toEqual([-2]);
  });

  it("a job held by another worker keeps that lock; the others' locks go; one no longer active still lets go of its lock", async () => {
    const queue = scope.queue();
    await queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const [a, b, c] = [await activate(queue, 'tok'), await activate(queue, 'tok'), await activate(queue, 'tok')];
    await scope.redis.set(`${b.key}:lock`, 'other', 'PX', 30_000);
    await scope.redis.sadd(`bull:${queue.name}:stalled`, a.id!, b.id!, c.id!);
    // c: its lock is ours, but it left active (as a by-hand move would leave it)
    await scope.redis.lrem(`bull:${queue.name}:active`, 0, c.id!);
    const reply = await finishAll(
      queue,
      [a, b, c].map((job) => ({ job, target: 'completed' as const })),
    );
    expect(codesOf(reply)).toEqual([0, -6, -3]);
    expect(await scope.redis.get(`${b.key}:lock`)).toBe('other');
    expect(await scope.redis.pttl(`${b.key}:lock`)).toBeGreaterThan(20_000);
    expect(await scope.redis.exists(`${a.key}:lock`, `${c.key}:lock`)).toBe(0);
    // as one call per job left it: c's lock was released before it was found not active
    expect((await scope.redis.smembers(`bull:${queue.name}:stalled`)).sort()).toEqual([b.id]);
    expect(await scope.redis.zrange(`bull:${queue.name}:completed`, 0, -1)).toEqual([a.id]);
  });

  it('a child that fails its parent earlier in the call refuses the parent, which had no failed child when the call began', async () => {
    const queue = scope.queue();
    await queue.add('other', {}, { jobId: 'X' });
    await queue.add('parent', {}, { jobId: 'P' });
    const other = await activate(queue, 'tok');
    const parent = await activate(queue, 'tok');
    // a child attached while the parent runs, then taken; no longer among the parent's
    // dependencies (removed by hand), so the parent has no such keys when the call begins
    await queue.add('child', {}, { jobId: 'C', parent: { id: 'P', queue: `bull:${queue.name}` }, failParentOnFailure: true });
    const child = await activate(queue, 'tok');
    await scope.redis.del(`${parent.key}:dependencies`);
    expect(await scope.redis.exists(`${parent.key}:dependencies`, `${parent.key}:unsuccessful`)).toBe(0);
    // the first completion asks about them all (none has any), then the child's failure gives the
    // parent one
    const reply = await finishAll(queue, [
      { job: other, target: 'completed' },
      { job: child, target: 'failed' },
      { job: parent, target: 'completed' },
    ]);
    expect(codesOf(reply)).toEqual([0, 0, -9]);
    expect(await scope.redis.zrange(`${parent.key}:unsuccessful`, 0, -1)).toEqual([child.key]);
    expect(await scope.redis.get(`${parent.key}:lock`)).toBe('tok');
    expect(await scope.redis.lrange(`bull:${queue.name}:active`, 0, -1)).toEqual(['P']);
    expect(await scope.redis.zrange(`bull:${queue.name}:completed`, 0, -1)).toEqual(['X']);
  });

  it('a child completing earlier in the call releases its parent to complete in the same call', async () => {
    const queue = scope.queue();
    await queue.add('parent', {}, { jobId: 'P' });
    const parent = await activate(queue, 'tok');
    await queue.add('child', {}, { jobId: 'C', parent: { id: 'P', queue: `bull:${queue.name}` } });
    const child = await activate(queue, 'tok');
    // the parent first: it still has its child pending
    expect(
      codesOf(
        await finishAll(queue, [
          { job: parent, target: 'completed' },
          { job: child, target: 'completed' },
        ]),
      ),
    ).toEqual([-4, 0]);
    expect(await scope.redis.hget(`${parent.key}:processed`, child.key)).toBe('null');
    expect(codesOf(await finishAll(queue, [{ job: parent, target: 'completed' }]))).toEqual([0]);
  });

  it('retention that trims, and removal, in the middle of a call', async () => {
    const queue = scope.queue();
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: `j${i}`, data: {} })));
    const jobs: Job[] = [];
    for (let i = 0; i < 5; i++) jobs.push(await activate(queue, 'tok'));
    const reply = await finishAll(queue, [
      { job: jobs[0], target: 'completed' },
      { job: jobs[1], target: 'completed', keep: true },
      { job: jobs[2], target: 'completed' },
      { job: jobs[3], target: 'completed', keep: 2 },
      { job: jobs[4], target: 'completed' },
    ]);
    expect(codesOf(reply)).toEqual([0, 0, 0, 0, 0]);
    // jobs[3] trimmed completed to its 2 newest when it finished: of 0, 2 and 3 (same score), the
    // lowest member went; jobs[4] came after
    const completed = await scope.redis.zrange(`bull:${queue.name}:completed`, 0, -1);
    const kept = [jobs[0], jobs[2], jobs[3]].map((j) => j.id!).sort();
    expect(completed.sort()).toEqual([...kept.slice(1), jobs[4].id!].sort());
    expect(await scope.redis.exists(jobs[1].key)).toBe(0);
    expect(await scope.redis.exists(`bull:${queue.name}:${kept[0]}`)).toBe(0);
    for (const job of jobs) expect(await scope.redis.exists(`${job.key}:lock`)).toBe(0);
  });

  it('a fetch of several jobs takes wait from the right, drops legacy marker ids, then prioritized', async () => {
    const queue = scope.queue();
    await queue.addBulk(['w1', 'w2', 'w3'].map((name) => ({ name, data: {} })));
    await queue.add('p1', {}, { priority: 2 });
    await queue.add('p2', {}, { priority: 1 });
    const wait = `bull:${queue.name}:wait`;
    // legacy markers among them (BullMQ 4 and before left such ids in wait)
    await scope.redis.linsert(wait, 'AFTER', (await scope.redis.lrange(wait, 1, 1))[0], '0:123');
    await scope.redis.lpush(wait, '0:456');
    await scope.redis.lpush(`bull:${queue.name}:active`, 'already');
    const raw = (await runScript(
      scope.redis,
      'moveToActive',
      [queue.keys.meta],
      moveToActiveArgs(queue.keys.base, 'tok', moves, Date.now(), 10),
    )) as unknown[];
    const names = parseFetchReply(raw, 0).jobs.map((j) => j.hash.name);
    expect(names).toEqual(['w1', 'w2', 'w3', 'p2', 'p1']);
    const state = await lists(scope.redis, queue.name);
    expect(state.wait).toEqual([]);
    expect(state.prioritized).toEqual([]);
    const ids = parseFetchReply(raw, 0).jobs.map((j) => j.id);
    // each taken job pushed to the left of active, in the order taken
    expect(state.active).toEqual([...ids].reverse().concat('already'));
    for (const id of ids) expect(await scope.redis.get(`bull:${queue.name}:${id}:lock`)).toBe('tok');
    expect(await scope.redis.exists(`bull:${queue.name}:pc`)).toBe(0);
  });
});
