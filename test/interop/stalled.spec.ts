// Stalled-job recovery across engines: a worker process dies mid-job (SIGKILL), the other engine's
// stalled checker notices the expired lock and runs the job again.
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue as BullQueue, Worker as BullWorker, type Job as BullJob } from 'bullmq';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { ChildScript } from '../support/child-script.js';
import { once } from '../support/events.js';
import { REDIS_URL, streamEvents } from '../support/redis.js';
import { type Scope, scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';
import { bullConnection, conveyorConnection, rawJob } from './support.js';

const BULLMQ_FIXTURE = fileURLToPath(new URL('../fixtures/interop-bullmq-worker.mjs', import.meta.url));
const CONVEYOR_FIXTURE = fileURLToPath(new URL('../fixtures/interop-conveyor-worker.mjs', import.meta.url));
const BUILT_ENGINE = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

const LOCK_DURATION = 1000;
const STALLED_INTERVAL = 500;
/** A child process loads bullmq or the built engine first: seconds on a busy machine. */
const CHILD_TEST_TIMEOUT = 40_000;
const childEnv = (queue: string) => ({
  REDIS_URL,
  QUEUE: queue,
  LOCK_DURATION: String(LOCK_DURATION),
  STALLED_INTERVAL: String(STALLED_INTERVAL),
});

/** A live worker renews its lock: the lock outlives its first lockDuration (so nobody steals a live job). */
async function expectLockRenewed(scope: Scope, lockKey: string): Promise<void> {
  const since = Date.now();
  const seen = await until(
    `${lockKey} to outlive ${LOCK_DURATION} ms`,
    async () => ({ age: Date.now() - since, exists: await scope.redis.exists(lockKey) }),
    (v) => v.exists === 0 || v.age > LOCK_DURATION * 1.5,
    5000,
  );
  expect(seen.exists).toBe(1);
}

/**
 * Runs `fixture` (a worker of one engine) in a child process until it holds job `jobId` of `queue`
 * under a live, renewed lock, then kills it (SIGKILL): the job stays in active with its lock.
 */
async function killMidJob(scope: Scope, fixture: string, queue: string, jobId: string): Promise<void> {
  const child = scope.track(new ChildScript(fixture, childEnv(queue)));
  const active = await child.message('active', 20_000);
  expect(active).toMatchObject({ jobId, attemptsStarted: 1 });
  const lockKey = `bull:${queue}:${jobId}:lock`;
  expect(await scope.redis.get(lockKey)).toMatch(/^[0-9a-f-]{36}:\d+$/);
  await expectLockRenewed(scope, lockKey);
  await child.kill();
}

/** What either engine's producer reads back of a job. */
interface ReadBack {
  getJob(
    id: string,
  ): Promise<
    { getState(): Promise<string>; stalledCounter: number; attemptsStarted: number; attemptsMade: number; returnvalue: unknown } | undefined
  >;
}

/**
 * The other engine's `worker` recovers job `jobId` as stalled once and completes it; both the
 * producer and Redis show one stall and two starts.
 */
async function expectRecoveredOnce(scope: Scope, worker: EventEmitter, producer: ReadBack, queue: string, jobId: string): Promise<void> {
  const stalled = once(worker, 'stalled', 10000);
  const completed = once(worker, 'completed', 10000);
  const [stalledId] = await stalled;
  expect(stalledId).toBe(jobId);
  const [, result] = await completed;
  expect(result).toEqual({ recovered: jobId, stalledCounter: 1, attemptsStarted: 2 });

  const read = await producer.getJob(jobId);
  expect(await read?.getState()).toBe('completed');
  expect(read?.stalledCounter).toBe(1);
  expect(read?.attemptsStarted).toBe(2);
  expect(read?.attemptsMade).toBe(1);
  expect(read?.returnvalue).toEqual(result);
  const hash = await rawJob(scope.redis, queue, jobId);
  expect(hash.stc).toBe('1');
  expect(hash.defa).toBeUndefined();
  const events = (await streamEvents(scope.redis, queue)).map((e) => `${e.event}${e.prev ? `<${e.prev}` : ''}`);
  expect(events).toEqual([
    'added',
    'waiting',
    'active<waiting',
    'waiting<active',
    'stalled',
    'active<waiting',
    'completed<active',
    'drained',
  ]);
}

/** The processor of the recovering worker: what it saw of the job. */
const recover = async (j: { id?: string; stalledCounter: number; attemptsStarted: number }) => ({
  recovered: j.id,
  stalledCounter: j.stalledCounter,
  attemptsStarted: j.attemptsStarted,
});

describe('interop: stalled jobs recovered across engines', () => {
  const scope = scopePerTest('interop');

  it(
    'a bullmq worker killed mid-job: a Conveyor worker recovers the job (stalled, stc=1) and completes it',
    async () => {
      const name = scope.name('stall-b2c');
      const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const job = await producer.add('long', { v: 1 });

      await killMidJob(scope, BULLMQ_FIXTURE, name, job.id!);
      const worker = scope.track(
        new Worker(name, (j: Job) => recover(j), {
          connection: conveyorConnection(),
          lockDuration: LOCK_DURATION,
          stalledInterval: STALLED_INTERVAL,
        }),
      );
      await expectRecoveredOnce(scope, worker, producer, name, job.id!);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    'a Conveyor worker (built engine) killed mid-job: a bullmq worker recovers the job (stalled, stc=1) and completes it',
    async () => {
      if (!existsSync(BUILT_ENGINE)) {
        throw new Error(`${BUILT_ENGINE} is missing: build the engine first (npx tsc -p tsconfig.build.json)`);
      }
      const name = scope.name('stall-c2b');
      const producer = scope.track(new Queue(name, { connection: conveyorConnection() }));
      const job = await producer.add('long', { v: 2 });

      await killMidJob(scope, CONVEYOR_FIXTURE, name, job.id!);
      const worker = scope.track(
        new BullWorker(name, (j: BullJob) => recover(j), {
          connection: bullConnection(),
          lockDuration: LOCK_DURATION,
          stalledInterval: STALLED_INTERVAL,
        }),
      );
      await expectRecoveredOnce(scope, worker, producer, name, job.id!);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    'past maxStalledCount the Conveyor checker marks the job (defa) and a bullmq worker fails it without running it',
    async () => {
      const name = scope.name('stall-defa');
      const producer = scope.track(new BullQueue(name, { connection: bullConnection() }));
      const job = await producer.add('long', { v: 3 });

      const child = scope.track(new ChildScript(BULLMQ_FIXTURE, childEnv(name)));
      await child.message('active', 20_000);
      await child.kill();

      // a Conveyor worker that only runs the stalled checker, with no stall allowed
      const checker = scope.track(
        new Worker(name, null, { connection: conveyorConnection(), maxStalledCount: 0, stalledInterval: STALLED_INTERVAL }),
      );
      await until(
        'the checker to recover the job',
        () => checker.checkStalled(),
        (ids) => ids.includes(job.id!),
        10000,
      );
      const hash = await rawJob(scope.redis, name, job.id!);
      expect(hash.stc).toBe('1');
      expect(hash.defa).toBe('job stalled more than allowable limit');
      expect(await scope.redis.lrange(`bull:${name}:wait`, 0, -1)).toEqual([job.id]);

      let ran = false;
      const worker = scope.track(
        new BullWorker(
          name,
          async () => {
            ran = true;
          },
          { connection: bullConnection() },
        ),
      );
      const [failed, error] = await once(worker, 'failed', 5000);
      expect(failed.id).toBe(job.id);
      expect(error.message).toBe('job stalled more than allowable limit');
      expect(ran).toBe(false);
      const after = await rawJob(scope.redis, name, job.id!);
      expect(after.failedReason).toBe('job stalled more than allowable limit');
      expect(after.defa).toBeUndefined();
    },
    CHILD_TEST_TIMEOUT,
  );
});
