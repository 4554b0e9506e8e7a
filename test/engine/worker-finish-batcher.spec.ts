// FinishBatcher: the finishes of one tick in moveToFinished calls with fetch-next, driven directly
// against the real Redis with a real FetchLoop for the fetched jobs (started jobs are recorded and
// held, not processed): grouping, the orderings it relies on, per-job outcomes, retries, closing.
import { ConveyorScriptError, ErrorCode } from '../../lib/engine/core/errors.js';
import { loadScript } from '../../lib/engine/core/scripts.js';
import type { Job } from '../../lib/engine/job/job.js';
import { BlockingConnection } from '../../lib/engine/worker/blocking-connection.js';
import { FetchLoop } from '../../lib/engine/worker/fetch-loop.js';
import { FINISH_MAX_JOBS, FinishBatcher, type FinishResult } from '../../lib/engine/worker/finish-batcher.js';
import type { WorkerOptions } from '../../lib/engine/worker/options.js';
import { heldEntry, type Held } from '../../lib/engine/worker/slots.js';
import { takeJobAway } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, type Deferred } from '../support/wait.js';
import { closedConnection, holdJobs, oom, partsFixture, takeJobs, type PartsFixture } from './worker-parts-support.js';

describe('FinishBatcher', () => {
  const scope = scopePerTest();

  /** A batcher whose fetched jobs are started by a real FetchLoop into `log` ('start <name>'). */
  async function batcherOf(opts: WorkerOptions) {
    const fx = await partsFixture(scope, opts);
    fx.scripts.know('moveToFinished');
    const log: string[] = [];
    const handedBack: Job[][] = [];
    const pauses: unknown[] = [];
    const loop = new FetchLoop({
      ...fx.context,
      jobHost: fx.queue,
      workerId: 'w1',
      // never asked for here: the batcher takes no part in blocking
      blocking: new BlockingConnection({
        ...fx.context,
        commandClient: () => Promise.reject(new Error('unused')),
        clientName: () => '',
        sleep: async () => {},
      }),
      sleep: async () => {},
      started: () => {},
      start: (job) => {
        log.push(`start ${job.name}`);
        fx.context.slots.hold(heldEntry(job, ''));
      },
      handBackAll: async () => {},
    });
    const batcher = new FinishBatcher({
      ...fx.context,
      next: loop,
      retryPause: async (err) => {
        pauses.push(err);
        return pauses.length < 3;
      },
      handBackAll: async (jobs) => {
        handedBack.push(jobs);
      },
    });
    return { fx, loop, batcher, log, handedBack, pauses };
  }

  /**
   * Completes `entry` through the batcher, logging 'finished <name>' (onFinished) and 'resolved
   * <name>'; resolves with the outcome the batcher left on the entry.
   */
  function complete(batcher: FinishBatcher, entry: Held, log: string[]): Promise<FinishResult> {
    return batcher
      .finish(entry, 'completed', JSON.stringify(`done ${entry.job.name}`), undefined, '', () => log.push(`finished ${entry.job.name}`))
      .then(() => {
        log.push(`resolved ${entry.job.name}`);
        return entry.finished;
      });
  }

  async function take(fx: PartsFixture, names: string[], count: number): Promise<Held[]> {
    await fx.queue.addBulk(names.map((name) => ({ name, data: {} })));
    return holdJobs(fx, await takeJobs(fx, count));
  }

  it('finishes of one tick: calls of half the slots each, whose fetch-next refills those slots', async () => {
    const { fx, batcher, log } = await batcherOf({ concurrency: 4 });
    const entries = await take(fx, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 4);
    const results = await Promise.all(entries.map((e) => complete(batcher, e, log)));

    expect(results).toEqual(['finished', 'finished', 'finished', 'finished']);
    const calls = fx.scripts.of('moveToFinished');
    expect(calls.map((c) => c.keys)).toEqual([entries.slice(0, 2), entries.slice(2)].map((two) => two.map((e) => e.job.key)));
    // each asks for its own two slots
    expect(calls.map((c) => c.args[11])).toEqual(['2', '2']);
    // per call: the outcomes, then the jobs fetched with them, then the finish() promises (the two
    // calls' replies may interleave)
    const at = (line: string) => log.indexOf(line);
    for (const [done, started] of [
      [
        ['a', 'b'],
        ['e', 'f'],
      ],
      [
        ['c', 'd'],
        ['g', 'h'],
      ],
    ]) {
      expect(at(`finished ${done[0]}`)).toBeLessThan(at(`finished ${done[1]}`));
      expect(at(`finished ${done[1]}`)).toBeLessThan(at(`start ${started[0]}`));
      expect(at(`start ${started[0]}`)).toBeLessThan(at(`start ${started[1]}`));
      expect(at(`start ${started[1]}`)).toBeLessThan(at(`resolved ${done[0]}`));
    }
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start e', 'start f', 'start g', 'start h']);
    expect(await scope.redis.zcard(`bull:${fx.name}:completed`)).toBe(4);
    expect(fx.context.slots.jobs().map((j) => j.name)).toEqual(['e', 'f', 'g', 'h']);
    expect(fx.context.slots.free()).toBe(0);
  });

  /**
   * Holds back the reply of the next `first` script until the reply of the next `second` is in,
   * then hands both over in one go, as ioredis does with replies that come in one read.
   */
  function inOneRead(fx: PartsFixture, first: string, second: string): void {
    const client = fx.client as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> };
    const evalsha = client.evalsha.bind(client);
    const shas = { [loadScript(first).sha]: 'first', [loadScript(second).sha]: 'second' } as Record<string, 'first' | 'second'>;
    const replies: Partial<Record<'first' | 'second', { raw: Promise<unknown>; hand: Deferred<unknown> }>> = {};
    client.evalsha = (...args) => {
      const which = shas[String(args[0])];
      if (!which || replies[which]) return evalsha(...args);
      const reply = { raw: evalsha(...args), hand: deferred<unknown>() };
      replies[which] = reply;
      if (which === 'second') {
        void Promise.allSettled([replies.first!.raw, reply.raw]).then(() => {
          for (const r of [replies.first!, reply]) r.raw.then(r.hand.resolve, r.hand.reject);
        });
      }
      return reply.hand.promise;
    };
  }

  it("a loop fetch answered before a finish's call is taken first: jobs start in reply order", async () => {
    const { fx, loop, batcher, log } = await batcherOf({ concurrency: 4 });
    const [x] = await take(fx, ['x', 'a', 'b', 'c', 'd'], 1);
    inOneRead(fx, 'moveToActive', 'moveToFinished');
    // as the loop does: reserve, fetch, take once the reply is in (the same steps as its `await`)
    fx.context.slots.reserve(2);
    const fetched = loop.fetch(2).then((reply) => loop.take(reply, 2, 2));
    const finished = complete(batcher, x, log);
    await Promise.all([fetched, finished]);
    expect(fx.scripts.of('moveToFinished')[0].args[11]).toBe('2');
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start a', 'start b', 'start c', 'start d']);
    expect(fx.context.slots.jobs().map((j) => j.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it(`a call carries at most ${FINISH_MAX_JOBS} jobs`, async () => {
    const { fx, batcher, log } = await batcherOf({ concurrency: 200 });
    const entries = await take(
      fx,
      Array.from({ length: 120 }, (_, i) => `j${i}`),
      120,
    );
    await Promise.all(entries.map((e) => complete(batcher, e, log)));
    expect(fx.scripts.of('moveToFinished').map((c) => c.keys.length)).toEqual([50, 50, 20]);
  });

  it('finishes of different ticks go in different calls; free slots are fetched for too', async () => {
    const { fx, batcher, log } = await batcherOf({ concurrency: 3 });
    const [a, b] = await take(fx, ['a', 'b', 'c', 'd', 'e'], 2);
    const first = complete(batcher, a, log);
    await new Promise((resolve) => setImmediate(resolve));
    const second = complete(batcher, b, log);
    await Promise.all([first, second]);
    const calls = fx.scripts.of('moveToFinished');
    expect(calls.map((c) => c.keys)).toEqual([[a.job.key], [b.job.key]]);
    // the first: its own slot and the free one
    expect(calls[0].args[11]).toBe('2');
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start c', 'start d', 'start e']);
  });

  it('each job keeps its own outcome: a job that is not ours is reported and let go of, one with pending children stays held', async () => {
    const { fx, batcher, log } = await batcherOf({ concurrency: 6 });
    const [lost, parent, fine] = await take(fx, ['lost', 'parent', 'fine', 'next'], 3);
    await takeJobAway(scope.redis, fx.name, lost.job.id!);
    await scope.redis.sadd(`bull:${fx.name}:${parent.job.id}:dependencies`, `bull:${fx.name}:some-child`);

    const results = await Promise.all([lost, parent, fine].map((e) => complete(batcher, e, log)));
    expect(results[0]).toBeUndefined();
    expect(results[1]).toBeInstanceOf(ConveyorScriptError);
    expect((results[1] as ConveyorScriptError).code).toBe(ErrorCode.JobPendingChildren);
    expect(results[2]).toBe('finished');
    expect(fx.errors.map((e) => (e as Error).message)).toEqual([
      expect.stringContaining(`job ${lost.job.id}`),
      expect.stringContaining(`Job ${parent.job.id} has pending dependencies`),
    ]);
    expect(fx.context.slots.holds(lost)).toBe(false);
    expect(fx.context.slots.holds(parent)).toBe(true);
    // one job finished: the fetch asked for its slot (and the 3 free ones), less the two unfinished
    expect(log).toEqual(['finished fine', 'start next', 'resolved lost', 'resolved parent', 'resolved fine']);
  });

  it('a call that fails is tried again after retryPause, its reservation given back each time; giving up leaves the jobs held', async () => {
    const { fx, batcher, log, pauses } = await batcherOf({ concurrency: 4 });
    const [a] = await take(fx, ['a', 'b'], 1);
    fx.scripts.fail('moveToFinished', oom, 1);
    expect(await complete(batcher, a, log)).toBe('finished');
    expect(pauses).toHaveLength(1);
    expect(fx.scripts.of('moveToFinished')).toHaveLength(2);
    expect(log).toEqual(['finished a', 'start b', 'resolved a']);
    expect(fx.context.slots.free()).toBe(3);

    const [c] = await take(fx, ['c'], 1);
    fx.scripts.fail('moveToFinished', oom, Infinity);
    expect(await complete(batcher, c, log)).toBeUndefined();
    expect(pauses).toHaveLength(3);
    expect(fx.context.slots.holds(c)).toBe(true);
    expect(fx.context.slots.free()).toBe(2);
  });

  it('a try that failed without a reply goes again at its instant (the script knows the jobs it finished then); a refused one at a new instant', async () => {
    const { fx, batcher, log } = await batcherOf({ concurrency: 4 });
    // calls at least a millisecond apart
    fx.scripts.during('moveToFinished', () => {
      const t = Date.now();
      while (Date.now() === t);
    });
    const instants = () => fx.scripts.of('moveToFinished').map((c) => c.args[3]);
    const [a, b] = await take(fx, ['a', 'b'], 2);
    fx.scripts.fail('moveToFinished', closedConnection, 1);
    expect(await complete(batcher, a, log)).toBe('finished');
    expect(instants()[1]).toBe(instants()[0]);
    fx.scripts.fail('moveToFinished', () => Object.assign(oom(), { name: 'ReplyError' }), 1);
    expect(await complete(batcher, b, log)).toBe('finished');
    expect(Number(instants()[3])).toBeGreaterThan(Number(instants()[2]));
  });

  it('while closing: nothing is fetched, and jobs a call fetched anyway are handed back', async () => {
    const { fx, batcher, log, handedBack } = await batcherOf({ concurrency: 2 });
    const [a] = await take(fx, ['a', 'b', 'c'], 1);
    fx.owner.closing = Promise.resolve();
    expect(await complete(batcher, a, log)).toBe('finished');
    expect(fx.scripts.of('moveToFinished')[0].args[11]).toBe('0');
    expect(log).toEqual(['finished a', 'resolved a']);

    // close() began while the call was out
    fx.owner.closing = undefined;
    const [b] = await take(fx, [], 1);
    fx.scripts.during('moveToFinished', () => (fx.owner.closing = Promise.resolve()));
    expect(await complete(batcher, b, log)).toBe('finished');
    // (the first call fetched nothing to hand back)
    expect(handedBack.map((jobs) => jobs.map((j) => j.name))).toEqual([[], ['c']]);
    expect(log.filter((l) => l.startsWith('start'))).toEqual([]);
    expect(fx.context.slots.free()).toBe(2);
  });
});
