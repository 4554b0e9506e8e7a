// Queue#retryJobs, Queue#promoteJobs and Queue#trimEvents (wire-format §6, §7.11).
import { ConveyorValidationError } from '../../lib/index.js';
import { streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { processSome } from './queue-test-support.js';

describe('Queue retryJobs, promoteJobs, trimEvents', () => {
  const scope = scopePerTest();

  it('retryJobs moves failed jobs to the back of wait, oldest first, clearing their finish fields and keeping attempts', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 1, fail: 3 });
    const key = (s: string) => `bull:${queue.name}:${s}`;
    await scope.redis.del(key('marker'));
    await queue.retryJobs({ count: 2 });
    expect(await scope.redis.lrange(key('wait'), 0, -1)).toEqual([...ids.failed].reverse());
    expect(await scope.redis.zcard(key('failed'))).toBe(0);
    expect(await scope.redis.zrange(key('completed'), 0, -1)).toEqual(ids.completed);
    const hash = await scope.redis.hgetall(key(ids.failed[0]));
    expect(hash).not.toHaveProperty('finishedOn');
    expect(hash).not.toHaveProperty('processedOn');
    expect(hash).not.toHaveProperty('failedReason');
    expect(hash.atm).toBe('1');
    expect(hash.stacktrace).toContain('failing 0 on purpose');
    expect(await scope.redis.zrange(key('marker'), 0, -1, 'WITHSCORES')).toEqual(['0', '0']);
    const waitingEvents = (await streamEvents(scope.redis, queue.name)).filter((e) => e.event === 'waiting' && e.prev);
    expect(waitingEvents).toEqual(ids.failed.map((jobId) => ({ event: 'waiting', jobId, prev: 'failed' })));
  });

  it('retryJobs takes completed jobs when asked, only those finished by the timestamp', async () => {
    const queue = scope.queue();
    const { ids } = await processSome(scope, queue, { complete: 2, fail: 1 });
    await queue.retryJobs({ state: 'completed', timestamp: 1 });
    expect(await queue.getCompletedCount()).toBe(2);
    await queue.retryJobs({ state: 'completed' });
    expect(await queue.getCompletedCount()).toBe(0);
    expect(await queue.getFailedCount()).toBe(1);
    expect((await queue.getWaiting()).map((j) => j.id)).toEqual(ids.completed);
    const hash = await scope.redis.hgetall(`bull:${queue.name}:${ids.completed[0]}`);
    expect(hash).not.toHaveProperty('returnvalue');
  });

  it('promoteJobs moves every delayed job to wait in batches, earliest due first, and wakes workers', async () => {
    const queue = scope.queue();
    const key = (s: string) => `bull:${queue.name}:${s}`;
    const later = await queue.add('later', {}, { delay: 120_000 });
    const sooner = await queue.add('sooner', {}, { delay: 60_000 });
    const third = await queue.add('third', {}, { delay: 90_000, priority: 3 });
    await queue.pause();
    await queue.promoteJobs({ count: 1 });
    // while paused no base marker
    expect(await scope.redis.exists(key('marker'))).toBe(0);
    await queue.resume();
    expect(await scope.redis.lrange(key('wait'), 0, -1)).toEqual([later.id, third.id, sooner.id]);
    expect(await queue.getDelayedCount()).toBe(0);
    // as BullMQ: the delay field stays as it was
    expect(await scope.redis.hget(key(later.id!), 'delay')).toBe('120000');
    expect(await scope.redis.zrange(key('marker'), 0, -1, 'WITHSCORES')).toEqual(['0', '0']);
    const events = (await streamEvents(scope.redis, queue.name)).filter((e) => e.prev === 'delayed');
    expect(events.map((e) => e.jobId)).toEqual([sooner.id, third.id, later.id]);
  });

  it('trimEvents trims the stream to about maxLength entries', async () => {
    const queue = scope.queue();
    await queue.addBulk(Array.from({ length: 400 }, (_, i) => ({ name: `j${i}`, data: {} })));
    const before = await scope.redis.xlen(`bull:${queue.name}:events`);
    const trimmed = await queue.trimEvents(10);
    expect(trimmed).toBeGreaterThan(0);
    expect(await scope.redis.xlen(`bull:${queue.name}:events`)).toBe(before - trimmed);
    expect(await scope.redis.xlen(`bull:${queue.name}:events`)).toBeLessThan(200);
  });

  it('refuses bad options before writing anything', async () => {
    const queue = scope.queue();
    await processSome(scope, queue, { fail: 1 });
    await queue.add('d', {}, { delay: 60_000 });
    const before = await snapshotQueue(scope.redis, queue.name);
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => queue.retryJobs({ state: 'delayed' as never }), /state must be 'completed' or 'failed', got "delayed"/],
      [() => queue.retryJobs({ count: 0 }), /count must be >= 1, got 0/],
      [() => queue.retryJobs({ timestamp: -5 }), /timestamp must be >= 0, got -5/],
      [() => queue.retryJobs({ limit: 3 } as never), /retryJobs options.limit is not a known option/],
      [() => queue.promoteJobs({ count: '10' as never }), /count must be an integer, got "10"/],
      [() => queue.promoteJobs(5 as never), /promoteJobs options must be an object, got 5/],
      [() => queue.trimEvents(-1), /maxLength must be >= 0, got -1/],
      [() => queue.trimEvents(undefined as never), /maxLength must be an integer, got undefined/],
    ];
    for (const [call, message] of cases) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect(await snapshotQueue(scope.redis, queue.name)).toEqual(before);
  });
});
