// HeldJobMoves: moves of held jobs other than finishes (a retry after a failed attempt, a
// rate-limited job back to wait, a job handed back unrun), and the retry rules after a move that
// failed: driven directly against the real Redis, refusals injected at the client, the clock fake.
import { jest } from '@jest/globals';
import { retryCall, type FailurePlan } from '../../lib/engine/job/failure-plan.js';
import { setRateLimit } from '../../lib/engine/queue/controls.js';
import { FINISH_RETRIES, HeldJobMoves, REFUSAL_RETRY_WINDOW_MS } from '../../lib/engine/worker/held-moves.js';
import { scopePerTest } from '../support/scope.js';
import { closedConnection, holdJobs, oom, partsFixture, takeJobs, useFakeClock } from './worker-parts-support.js';

const retryNow: FailurePlan = { error: new Error('boom'), reason: 'boom', stacktrace: [], kind: 'retry', delay: 0 };

describe('HeldJobMoves', () => {
  // declared first, so it runs first: the scope closes with real timers
  afterEach(() => jest.useRealTimers());
  const scope = scopePerTest();

  /** Parts whose delay() moves the fake clock on by the time asked for. */
  async function movesOf() {
    const fx = await partsFixture(scope, {}, (ms) => jest.setSystemTime(Date.now() + ms));
    fx.scripts.know('retryJob', 'moveJobFromActiveToWait');
    return { fx, moves: new HeldJobMoves(fx.context) };
  }

  async function waitList(name: string): Promise<string[]> {
    return (await scope.redis.lrange(`bull:${name}:wait`, 0, -1)).reverse();
  }

  it('a move Redis refuses (out of memory) is tried every 50 ms while the refusal lasts, and goes through when it ends', async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.add('a', {});
    const [entry] = holdJobs(fx, await takeJobs(fx, 1));
    useFakeClock();
    fx.scripts.fail('retryJob', oom, 30);

    const call = retryCall(fx.context.keys.base, entry.job, entry.token, retryNow, Date.now());
    expect(await moves.move(entry, call)).toBe(true);
    expect(fx.scripts.of('retryJob')).toHaveLength(31);
    expect(fx.delays).toEqual(Array(30).fill(50));
    // each refusal is reported (QueueBase lets out one a second)
    expect(fx.errors).toHaveLength(30);
    expect(await waitList(fx.name)).toEqual([entry.job.id]);
  });

  it(`a refusal that lasts ${REFUSAL_RETRY_WINDOW_MS} ms: the move gives up, the job stays in active`, async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.add('a', {});
    const [entry] = holdJobs(fx, await takeJobs(fx, 1));
    useFakeClock();
    fx.scripts.fail('retryJob', oom, Infinity);

    const call = retryCall(fx.context.keys.base, entry.job, entry.token, retryNow, Date.now());
    expect(await moves.move(entry, call)).toBe(false);
    const tries = REFUSAL_RETRY_WINDOW_MS / 50 + 1;
    expect(fx.scripts.of('retryJob')).toHaveLength(tries);
    expect(fx.delays).toHaveLength(tries - 1);
    expect(await scope.redis.lrange(`bull:${fx.name}:active`, 0, -1)).toEqual([entry.job.id]);
  });

  it(`other errors: ${FINISH_RETRIES} tries with a growing pause; a closed connection is reported once, when giving up`, async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.add('a', {});
    const [entry] = holdJobs(fx, await takeJobs(fx, 1));
    useFakeClock();
    fx.scripts.fail('moveJobFromActiveToWait', closedConnection, Infinity);

    expect(await moves.moveLimitedBackToWait(entry)).toBe(0);
    expect(fx.scripts.of('moveJobFromActiveToWait')).toHaveLength(FINISH_RETRIES);
    expect(fx.delays).toEqual([50, 100, 200, 400, 800, 1600, ...Array(FINISH_RETRIES - 7).fill(2000)]);
    expect(fx.errors.map((e) => (e as Error).message)).toEqual(['Connection is closed.']);
  });

  it('a forced close gives up at once, or after the pause it began in', async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const [a, b] = holdJobs(fx, await takeJobs(fx, 2));
    useFakeClock();
    fx.scripts.fail('retryJob', oom, Infinity);
    fx.context.state.forceClosing = true;
    expect(await moves.move(a, retryCall(fx.context.keys.base, a.job, a.token, retryNow, Date.now()))).toBe(false);
    expect(fx.delays).toEqual([]);

    fx.context.state.forceClosing = false;
    const delay = fx.context.delay;
    fx.context.delay = async (ms) => {
      fx.context.state.forceClosing = true;
      return delay(ms);
    };
    const others = new HeldJobMoves(fx.context);
    expect(await others.move(b, retryCall(fx.context.keys.base, b.job, b.token, retryNow, Date.now()))).toBe(false);
    expect(fx.delays).toEqual([50]);
    // one try each: the forced close came before any second one
    expect(fx.scripts.of('retryJob')).toHaveLength(2);
  });

  it('a job that is not ours any more: the script error is reported, not retried', async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.add('a', {});
    const [entry] = holdJobs(fx, await takeJobs(fx, 1));
    const call = retryCall(fx.context.keys.base, entry.job, 'someone-else', retryNow, Date.now());
    expect(await moves.move(entry, call)).toBe(false);
    expect(fx.scripts.of('retryJob')).toHaveLength(1);
    expect(fx.errors).toHaveLength(1);
    expect((fx.errors[0] as Error).message).toContain('retryJob');
  });

  it("a rate-limited job goes back to wait, no attempt used, with the limit's remaining ms", async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const [a, b] = holdJobs(fx, await takeJobs(fx, 2));
    expect(await moves.moveLimitedBackToWait(a)).toBe(0);
    await setRateLimit(fx.queue, 5_000);
    const limitMs = await moves.moveLimitedBackToWait(b);
    expect(limitMs).toBeGreaterThan(4_000);
    expect(limitMs).toBeLessThanOrEqual(5_000);
    expect(await waitList(fx.name)).toEqual([b.job.id, a.job.id]);
    expect(await scope.redis.hget(`bull:${fx.name}:${a.job.id}`, 'atm')).toBeNull();
  });

  it('handBackAll() puts jobs taken but not run back in front of the queue, in the order they were taken', async () => {
    const { fx, moves } = await movesOf();
    await fx.queue.addBulk(['a', 'b', 'c'].map((name) => ({ name, data: {} })));
    const taken = await takeJobs(fx, 2);
    await moves.handBackAll(taken);
    expect(fx.errors).toEqual([]);
    const again = await takeJobs(fx, 3);
    expect(again.map((j) => j.name)).toEqual(['a', 'b', 'c']);
    expect(again.map((j) => j.attemptsMade)).toEqual([0, 0, 0]);

    // one that is not ours: reported, no throw
    again[0].token = 'someone-else';
    await moves.handBack(again[0], 'someone-else');
    expect(fx.errors).toHaveLength(1);
  });
});
