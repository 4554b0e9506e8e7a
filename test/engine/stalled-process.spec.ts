// A worker process killed mid-job (SIGKILL): the job is not lost. A Conveyor worker in this
// process notices the expired lock, emits 'stalled' and runs the job to completion (stc = 1).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { ChildScript } from '../support/child-script.js';
import { once } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/stalled-child-worker.mjs', import.meta.url));
const BUILT_ENGINE = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const LOCK_DURATION = 1000;
const STALLED_INTERVAL = 500;

describe('Stalled recovery across processes', () => {
  const scope = scopePerTest();

  it('a worker process SIGKILLed mid-job: another worker recovers the job and completes it', async () => {
    expect(existsSync(BUILT_ENGINE)).toBe(true); // `npm test` builds dist/ first; else `npx tsc -p tsconfig.build.json`
    const name = scope.name('kill');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const job = await queue.add('long', { v: 1 });

    const child = scope.track(
      new ChildScript(FIXTURE, {
        REDIS_URL,
        QUEUE: name,
        LOCK_DURATION: String(LOCK_DURATION),
        STALLED_INTERVAL: String(STALLED_INTERVAL),
      }),
    );
    try {
      const active = await child.message('active', 15000);
      expect(active).toMatchObject({ jobId: job.id, attemptsStarted: 1 });
      // the lock is the child's, and it is alive
      expect(await scope.redis.get(`bull:${name}:${job.id}:lock`)).toBe(active.token);
      expect(await scope.redis.pttl(`bull:${name}:${job.id}:lock`)).toBeGreaterThan(0);
      await child.kill();
    } finally {
      await child.kill();
    }
    expect(await job.getState()).toBe('active');

    const worker = scope.track(
      new Worker(name, async (j: Job) => ({ recovered: j.id, stalledCounter: j.stalledCounter, attemptsStarted: j.attemptsStarted }), {
        connection: connection(),
        lockDuration: LOCK_DURATION,
        stalledInterval: STALLED_INTERVAL,
      }),
    );
    // recovered by the stalled checker once the lock ran out (lockDuration + 2 × stalledInterval is
    // 2 s; the 20 s are for a loaded machine, and only say that it never came)
    const stalled = once<[string, string]>(worker, 'stalled', 20000);
    const completed = once<[Job, unknown]>(worker, 'completed', 20000);
    expect(await stalled).toEqual([job.id, 'active']);
    const [done, result] = await completed;
    expect(done.id).toBe(job.id);
    expect(result).toEqual({ recovered: job.id, stalledCounter: 1, attemptsStarted: 2 });
    const hash = await scope.redis.hgetall(`bull:${name}:${job.id}`);
    expect(hash.stc).toBe('1');
    expect(hash.defa).toBeUndefined();
    expect(await job.getState()).toBe('completed');
  }, 60000);
});
