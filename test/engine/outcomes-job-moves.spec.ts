// Job methods that move a job by hand (wire-format §7.6, §7.11): moveToDelayed, moveToWait,
// changePriority, changeDelay, extendLock; Redis-level results as bullmq 6.7 leaves them (observed),
// and bad input refused before anything is written.
import { ConveyorScriptError, ConveyorValidationError, Job } from '../../lib/index.js';
import { streamEvents, takeJobAway } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue as snapshot } from '../support/snapshot.js';
import { activate, DELAY_SHIFT, lists, PRIORITY_SHIFT } from './outcomes-support.js';

describe('Job moves by hand', () => {
  const scope = scopePerTest();

  describe('moveToDelayed', () => {
    it('moves the active job to delayed at the timestamp, without using an attempt, and releases its lock', async () => {
      const queue = scope.queue();
      await queue.add('a', {});
      const job = await activate(queue, 'tok-1');
      const key = `bull:${queue.name}:${job.id}`;
      await scope.redis.sadd(`bull:${queue.name}:stalled`, job.id!);
      const before = Date.now();
      const due = before + 60_000;
      await job.moveToDelayed(due, 'tok-1');
      const state = await lists(scope.redis, queue.name);
      expect(state.active).toEqual([]);
      expect(state.delayed).toEqual([[job.id, due * DELAY_SHIFT]]);
      const hash = await scope.redis.hgetall(key);
      expect(hash.atm).toBeUndefined();
      expect(Number(hash.delay)).toBeGreaterThan(59_000);
      expect(Number(hash.delay)).toBeLessThanOrEqual(60_000);
      expect(job.delay).toBe(Number(hash.delay));
      expect(await scope.redis.exists(`${key}:lock`)).toBe(0);
      expect(await scope.redis.sismember(`bull:${queue.name}:stalled`, job.id!)).toBe(0);
      expect((await streamEvents(scope.redis, queue.name)).at(-1)).toEqual({ event: 'delayed', jobId: job.id, delay: String(due) });
      expect(await scope.redis.zscore(`bull:${queue.name}:marker`, '1')).toBe(String(due));
      expect(await job.getState()).toBe('delayed');
    });

    it('a timestamp already past makes the job due at once (delay 0), as bullmq does', async () => {
      const queue = scope.queue();
      await queue.add('a', {});
      const job = await activate(queue, 'tok');
      const before = Date.now();
      await job.moveToDelayed(before - 60_000, 'tok');
      const [[id, score]] = (await lists(scope.redis, queue.name)).delayed;
      expect(id).toBe(job.id);
      const due = Math.floor(score / DELAY_SHIFT);
      expect(due).toBeGreaterThanOrEqual(before);
      expect(due).toBeLessThanOrEqual(Date.now());
      expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'delay')).toBe('0');
      // due now: the next fetch promotes and takes it
      const again = await activate(queue, 'tok-2');
      expect(again.id).toBe(job.id);
    });

    it('without a token it uses the one the job was fetched with; a wrong token is refused and writes nothing', async () => {
      const queue = scope.queue();
      await queue.add('a', {});
      const job = await activate(queue, 'mine');
      const untouched = await snapshot(scope.redis, queue.name);
      await expect(job.moveToDelayed(Date.now() + 1000, 'theirs')).rejects.toThrow(
        `Lock mismatch for job ${job.id}. Cmd moveToDelayed from active`,
      );
      expect(await snapshot(scope.redis, queue.name)).toEqual(untouched);
      await job.moveToDelayed(Date.now() + 1000);
      expect(await job.getState()).toBe('delayed');
      // not active any more: a second move is refused (its lock is gone)
      await expect(job.moveToDelayed(Date.now() + 1000)).rejects.toThrow(`Missing lock for job ${job.id}. moveToDelayed`);
    });

    it('a job that does not exist: the missing-key error', async () => {
      const queue = scope.queue();
      const ghost = new Job(queue, 'ghost', {}, {}, 'ghost-1');
      const err = await ghost.moveToDelayed(Date.now() + 1000, 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorScriptError);
      expect((err as Error).message).toBe('Missing key for job ghost-1. moveToDelayed');
    });
  });

  describe('moveToWait', () => {
    it('puts the job back in front of the queue without using an attempt; resolves 0 without a rate limit', async () => {
      const queue = scope.queue();
      const first = await queue.add('first', {});
      const second = await queue.add('second', {});
      const job = await activate(queue, 'tok');
      expect(job.id).toBe(first.id);
      expect(await job.moveToWait('tok')).toBe(0);
      const state = await lists(scope.redis, queue.name);
      // the tail of `wait` runs next
      expect(state.wait).toEqual([second.id, first.id]);
      expect(state.active).toEqual([]);
      const hash = await scope.redis.hgetall(`bull:${queue.name}:${job.id}`);
      expect(hash.atm).toBeUndefined();
      expect(hash.ats).toBe('1');
      expect(await scope.redis.exists(`bull:${queue.name}:${job.id}:lock`)).toBe(0);
      expect((await streamEvents(scope.redis, queue.name)).at(-1)).toEqual({ event: 'waiting', jobId: job.id, prev: 'active' });
      expect(await scope.redis.zscore(`bull:${queue.name}:marker`, '0')).toBe('0');
      expect((await activate(queue, 'tok-2')).id).toBe(first.id);
    });

    it('a prioritized job goes in front of its priority; the reply is the rate limit left (PTTL)', async () => {
      const queue = scope.queue();
      const a = await queue.add('a', {}, { priority: 4 });
      const b = await queue.add('b', {}, { priority: 4 });
      const job = await activate(queue, 'tok');
      expect(job.id).toBe(a.id);
      await queue.rateLimit(5000);
      const ttl = await job.moveToWait('tok');
      expect(ttl).toBeGreaterThan(4000);
      expect(ttl).toBeLessThanOrEqual(5000);
      const { prioritized } = await lists(scope.redis, queue.name);
      expect(prioritized[0]).toEqual([a.id, 4 * PRIORITY_SHIFT]);
      expect(prioritized[1][0]).toBe(b.id);
    });
  });

  describe('changePriority', () => {
    it('re-queues a waiting job by its new priority (fresh counter; lifo: in front of its priority)', async () => {
      const queue = scope.queue();
      const p5 = await queue.add('p5', {}, { priority: 5 });
      const other = await queue.add('other', {}, { priority: 5 });
      const plain = await queue.add('plain', {});
      await other.changePriority({ priority: 5, lifo: true });
      const before = await lists(scope.redis, queue.name);
      expect(before.prioritized).toEqual([
        [other.id, 5 * PRIORITY_SHIFT],
        [p5.id, expect.any(Number)],
      ]);
      await plain.changePriority({ priority: 3 });
      const { prioritized, wait } = await lists(scope.redis, queue.name);
      expect(wait).toEqual([]);
      const pc = Number(await scope.redis.get(`bull:${queue.name}:pc`));
      expect(prioritized[0]).toEqual([plain.id, 3 * PRIORITY_SHIFT + pc]);
      expect(plain.priority).toBe(3);
      expect(await scope.redis.hget(`bull:${queue.name}:${plain.id}`, 'priority')).toBe('3');
      expect(await scope.redis.zscore(`bull:${queue.name}:marker`, '0')).toBe('0');
      // no event, as bullmq
      expect((await streamEvents(scope.redis, queue.name)).map((e) => e.event)).toEqual([
        'added',
        'waiting',
        'added',
        'waiting',
        'added',
        'waiting',
      ]);
    });

    it('priority 0 moves a job to wait: back of the line, or next to run with lifo; {} means priority 0', async () => {
      const queue = scope.queue();
      const a = await queue.add('a', {}, { priority: 2 });
      const b = await queue.add('b', {}, { priority: 2 });
      const c = await queue.add('c', {});
      await a.changePriority({ priority: 0 });
      await b.changePriority({ priority: 0, lifo: true });
      expect((await lists(scope.redis, queue.name)).wait).toEqual([a.id, c.id, b.id]);
      await b.changePriority({});
      expect((await lists(scope.redis, queue.name)).wait).toEqual([b.id, a.id, c.id]);
      expect((await lists(scope.redis, queue.name)).prioritized).toEqual([]);
    });

    it('a delayed or active job only gets the field (used when it is next queued)', async () => {
      const queue = scope.queue();
      const delayed = await queue.add('d', {}, { delay: 60_000 });
      await queue.add('x', {});
      const active = await activate(queue, 'tok');
      await delayed.changePriority({ priority: 7 });
      await active.changePriority({ priority: 8 });
      const state = await lists(scope.redis, queue.name);
      expect(state.delayed.map(([id]) => id)).toEqual([delayed.id]);
      expect(state.active).toEqual([active.id]);
      expect(state.prioritized).toEqual([]);
      expect(await scope.redis.hget(`bull:${queue.name}:${delayed.id}`, 'priority')).toBe('7');
      // promoted, it goes where its new priority says
      await delayed.promote();
      expect((await lists(scope.redis, queue.name)).prioritized.map(([id]) => id)).toEqual([delayed.id]);
    });

    it('a job that does not exist: the missing-key error', async () => {
      const queue = scope.queue();
      await expect(new Job(queue, 'g', {}, {}, 'ghost-2').changePriority({ priority: 1 })).rejects.toThrow(
        'Missing key for job ghost-2. changePriority',
      );
    });
  });

  describe('changeDelay', () => {
    it('re-scores a delayed job for now + delay, with a delayed event and the delay marker', async () => {
      const queue = scope.queue();
      const job = await queue.add('d', {}, { delay: 600_000 });
      const before = Date.now();
      await job.changeDelay(5000);
      const [[id, score]] = (await lists(scope.redis, queue.name)).delayed;
      expect(id).toBe(job.id);
      const due = Math.floor(score / DELAY_SHIFT);
      expect(due).toBeGreaterThanOrEqual(before + 5000);
      expect(due).toBeLessThanOrEqual(Date.now() + 5000);
      expect(await scope.redis.hget(`bull:${queue.name}:${job.id}`, 'delay')).toBe('5000');
      expect(job.delay).toBe(5000);
      expect((await streamEvents(scope.redis, queue.name)).at(-1)).toEqual({ event: 'delayed', jobId: job.id, delay: String(due) });
      expect(await scope.redis.zscore(`bull:${queue.name}:marker`, '1')).toBe(String(due));
    });

    it('changeDelay(0) makes the job due now: the next fetch takes it', async () => {
      const queue = scope.queue();
      const job = await queue.add('d', {}, { delay: 600_000 });
      await job.changeDelay(0);
      expect((await activate(queue, 'tok')).id).toBe(job.id);
    });

    it('a job that is not delayed, or does not exist, is refused', async () => {
      const queue = scope.queue();
      const waiting = await queue.add('w', {});
      await expect(waiting.changeDelay(1000)).rejects.toThrow(`Job ${waiting.id} is not in the delayed state. changeDelay`);
      await expect(new Job(queue, 'g', {}, {}, 'ghost-3').changeDelay(1000)).rejects.toThrow('Missing key for job ghost-3. changeDelay');
      expect((await lists(scope.redis, queue.name)).wait).toEqual([waiting.id]);
    });
  });

  describe('extendLock', () => {
    it('renews a lock held with the token (and takes the job off the stalled list); another token gets 0', async () => {
      const queue = scope.queue();
      await queue.add('a', {});
      const job = await activate(queue, 'tok', 1000);
      const lockKey = `bull:${queue.name}:${job.id}:lock`;
      await scope.redis.sadd(`bull:${queue.name}:stalled`, job.id!);
      expect(await job.extendLock('other', 60_000)).toBe(0);
      expect(await scope.redis.pttl(lockKey)).toBeLessThanOrEqual(1000);
      expect(await job.extendLock('tok', 60_000)).toBe(1);
      expect(await scope.redis.pttl(lockKey)).toBeGreaterThan(50_000);
      expect(await scope.redis.get(lockKey)).toBe('tok');
      expect(await scope.redis.sismember(`bull:${queue.name}:stalled`, job.id!)).toBe(0);
      // ran out while the job stayed in active: nobody took it over, so the token takes it again
      await scope.redis.del(lockKey);
      expect(await job.extendLock('tok', 60_000)).toBe(1);
      expect(await scope.redis.get(lockKey)).toBe('tok');
      // taken out of active (as the stalled checker does): lost for good
      await takeJobAway(scope.redis, queue.name, job.id!);
      expect(await job.extendLock('tok', 60_000)).toBe(0);
      expect(await scope.redis.exists(lockKey)).toBe(0);
    });
  });

  describe('bad input names the option and the value, and writes nothing', () => {
    const cases: [string, (job: Job, delayed: Job) => Promise<unknown>, RegExp][] = [
      ['moveToDelayed NaN', (j) => j.moveToDelayed(NaN, 'tok'), /^timestamp must be an integer, got NaN$/],
      ['moveToDelayed string', (j) => j.moveToDelayed('soon' as never, 'tok'), /^timestamp must be an integer, got "soon"$/],
      ['moveToDelayed fraction', (j) => j.moveToDelayed(Date.now() + 0.5, 'tok'), /^timestamp must be an integer, got \d+\.5$/],
      ['moveToDelayed negative', (j) => j.moveToDelayed(-5, 'tok'), /^timestamp must be >= 0, got -5$/],
      ['moveToDelayed empty token', (j) => j.moveToDelayed(Date.now(), ''), /^token must be the lock token .*, got ""$/],
      ['moveToWait token 5', (j) => j.moveToWait(5 as never), /^token must be the lock token .*, got 5$/],
      ['changePriority -1', (j) => j.changePriority({ priority: -1 }), /^priority must be between 0 and 2097151, got -1$/],
      ['changePriority 2^21', (j) => j.changePriority({ priority: 2 ** 21 }), /^priority must be between 0 and 2097151, got 2097152$/],
      ['changePriority 1.5', (j) => j.changePriority({ priority: 1.5 }), /^priority must be an integer, got 1.5$/],
      ['changePriority "3"', (j) => j.changePriority({ priority: '3' as never }), /^priority must be an integer, got "3"$/],
      ['changePriority lifo "yes"', (j) => j.changePriority({ priority: 1, lifo: 'yes' as never }), /^lifo must be a boolean, got "yes"$/],
      [
        'changePriority unknown key',
        (j) => j.changePriority({ prio: 1 } as never),
        /^changePriority options.prio is not a known option \(priority, lifo\)$/,
      ],
      [
        'changePriority undefined',
        (j) => j.changePriority(undefined as never),
        /^changePriority needs \{ priority, lifo\? \}, got undefined$/,
      ],
      ['changePriority number', (j) => j.changePriority(3 as never), /^changePriority options must be an object, got 3$/],
      ['changeDelay -1', (_, d) => d.changeDelay(-1), /^delay must be >= 0, got -1$/],
      ['changeDelay 1.5', (_, d) => d.changeDelay(1.5), /^delay must be an integer, got 1.5$/],
      ['changeDelay "5"', (_, d) => d.changeDelay('5' as never), /^delay must be an integer, got "5"$/],
      ['extendLock no token', (j) => j.extendLock(undefined as never, 1000), /^token must be the lock token .*, got undefined$/],
      ['extendLock duration 0', (j) => j.extendLock('tok', 0), /^duration must be >= 1, got 0$/],
      ['extendLock duration 1.5', (j) => j.extendLock('tok', 1.5), /^duration must be an integer, got 1.5$/],
    ];
    it.each(cases)('%s', async (_label, call, message) => {
      const queue = scope.queue();
      await queue.add('a', {});
      const delayed = await queue.add('d', {}, { delay: 60_000 });
      const job = await activate(queue, 'tok');
      const before = await snapshot(scope.redis, queue.name);
      const err = await call(job, delayed).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
      expect(await snapshot(scope.redis, queue.name)).toEqual(before);
    });
  });
});
