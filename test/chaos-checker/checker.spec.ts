// Self-test of the chaos suite's checker: a clean run on a real queue reads clean, and each defect
// planted in Redis (or in the ledger) shows up in its own column and in no other.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { check, type CheckResult } from '../chaos/lib/checker.mjs';
import { openLedger, readLedger, type Ledger } from '../chaos/lib/ledger.mjs';
import { times } from '../support/events.js';
import { connection, rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';

const COLUMNS = ['lost', 'unexpected', 'duplicated', 'stuck', 'halfWritten', 'finishedTwice'] as const;
const JOBS = 4;
/** A pid no process of this test has: "another worker". */
const OTHER_PID = 999_999_999;

describe('chaos checker', () => {
  const redis = rawClient();
  let name: string;
  let base: string;
  let dir: string;
  let producer: Ledger;
  let worker: Ledger;
  let queue: Queue;
  let ids: string[];

  afterAll(async () => {
    await redis.quit();
  });

  /** Adds JOBS jobs through the engine, each with a ledger send + ack, and processes them all. */
  beforeEach(async () => {
    name = uniqueName('chaos-check');
    base = `bull:${name}:`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'chaos-checker-'));
    producer = openLedger(dir, 'producer');
    worker = openLedger(dir, 'worker');
    queue = new Queue(name, { connection: connection() });
    ids = [];
    for (let i = 1; i <= JOBS; i++) ids.push(await add(`t-${i}`));
    const w = new Worker(
      name,
      async (job: Job) => {
        worker.write({ t: 'run', id: job.id, attempt: job.attemptsStarted });
        worker.write({ t: 'returned', id: job.id });
        return { pid: process.pid, tag: job.data.tag };
      },
      { connection: connection() },
    );
    w.on('completed', (job: Job) => worker.write({ t: 'completed', id: job.id }));
    try {
      await times(w, 'completed', JOBS, 10_000);
    } finally {
      await w.close();
    }
  });

  afterEach(async () => {
    producer.close();
    worker.close();
    await queue.close();
    await removeQueueKeys(redis, name);
    rmSync(dir, { recursive: true, force: true });
  });

  async function add(tag: string, { send = true, ack = true } = {}): Promise<string> {
    if (send) producer.write({ t: 'send', tag });
    const job = await queue.add('chaos', { tag });
    if (ack) producer.write({ t: 'ack', id: job.id, tag });
    return job.id!;
  }

  async function run(): Promise<CheckResult> {
    return check({ client: redis, queue: name, records: readLedger(dir).records });
  }

  /** Exactly `column` is `count`; every other defect column is 0. */
  function only(result: CheckResult, column: (typeof COLUMNS)[number] | undefined, count = 1): void {
    const figures = Object.fromEntries(COLUMNS.map((c) => [c, result[c]]));
    const expected = Object.fromEntries(COLUMNS.map((c) => [c, c === column ? count : 0]));
    expect(figures).toEqual(expected);
  }

  it('reads a clean run as clean', async () => {
    const result = await run();
    only(result, undefined);
    expect(result).toMatchObject({
      acknowledged: JOBS,
      completed: JOBS,
      failed: 0,
      finished: JOBS,
      indeterminate: 0,
      redelivered: 0,
      stalled: 0,
    });
  });

  it('catches an acknowledged job that is gone', async () => {
    await redis
      .multi()
      .zrem(`${base}completed`, ids[0])
      .del(base + ids[0])
      .exec();
    const result = await run();
    only(result, 'lost');
    expect(result.details.lost).toEqual([{ id: ids[0], why: 'gone: no job hash, in no state' }]);
  });

  it('catches an acknowledged job still waiting after the drain', async () => {
    const id = await add('t-late');
    const result = await run();
    only(result, 'lost');
    expect(result.details.lost[0]).toEqual({ id, why: 'never finished: still in wait' });
  });

  it('catches a job nobody sent', async () => {
    const id = await add('t-ghost', { send: false, ack: false });
    const result = await run();
    only(result, 'unexpected');
    expect(result.details.unexpected).toEqual([{ id, why: 'tag t-ghost was never sent' }]);
  });

  it('catches a second copy of an acknowledged add', async () => {
    const id = await add('t-1', { send: false, ack: false });
    const result = await run();
    only(result, 'unexpected');
    expect(result.details.unexpected).toEqual([{ id, why: `second copy of the add acknowledged as id ${ids[0]} (tag t-1)` }]);
  });

  it('catches a job completed without any processor run', async () => {
    const id = await add('t-unrun');
    await redis.multi().lrem(`${base}wait`, 0, id).zadd(`${base}completed`, Date.now(), id).exec();
    const result = await run();
    only(result, 'unexpected');
    expect(result.details.unexpected).toEqual([{ id, why: 'completed, but no processor ever returned for it' }]);
  });

  it('counts an add that landed although its reply was lost as indeterminate, not unexpected', async () => {
    await add('t-unacked', { ack: false });
    const result = await run();
    only(result, undefined);
    expect(result.indeterminate).toBe(1);
  });

  it('catches a processor that ran to the end twice', async () => {
    openLedger(dir, 'worker', OTHER_PID).write({ t: 'returned', id: ids[1] });
    const result = await run();
    only(result, 'duplicated');
    expect(result.details.duplicated).toEqual([{ id: ids[1], pids: [process.pid, OTHER_PID] }]);
  });

  it('catches an acknowledged job still in active', async () => {
    await redis.multi().zrem(`${base}completed`, ids[2]).lpush(`${base}active`, ids[2]).exec();
    const result = await run();
    only(result, 'stuck');
    expect(result.details.stuck).toEqual([ids[2]]);
  });

  it('catches a job hash in no state', async () => {
    await redis.zrem(`${base}completed`, ids[0]);
    const result = await run();
    only(result, 'halfWritten');
    expect(result.details.halfWritten).toEqual([{ id: ids[0], why: 'job hash in no state' }]);
  });

  it('catches an id in a state with no job hash', async () => {
    await redis.del(base + ids[3]);
    const result = await run();
    only(result, 'halfWritten');
    expect(result.details.halfWritten).toEqual([{ id: ids[3], why: 'in completed with no job hash' }]);
  });

  it('catches an id in two states at once', async () => {
    await redis.zadd(`${base}failed`, Date.now(), ids[1]);
    const result = await run();
    only(result, 'halfWritten');
    expect(result.details.halfWritten).toEqual([{ id: ids[1], why: 'in completed and failed at once' }]);
  });

  it('catches a result written by a worker that did not complete the job', async () => {
    await redis.hset(base + ids[2], 'returnvalue', JSON.stringify({ pid: OTHER_PID, tag: 't-3' }));
    const result = await run();
    only(result, 'halfWritten');
    expect(result.details.halfWritten[0].why).toBe(`result written by pid ${OTHER_PID}, but pid ${process.pid} completed it`);
  });

  it('catches a job two workers were told they completed', async () => {
    openLedger(dir, 'worker', OTHER_PID).write({ t: 'completed', id: ids[0] });
    const result = await run();
    only(result, 'finishedTwice');
    expect(result.details.finishedTwice).toEqual([{ id: ids[0], pids: [process.pid, OTHER_PID] }]);
  });

  it('counts stalls and redeliveries without calling them defects', async () => {
    await redis.hset(base + ids[0], 'stc', 1);
    openLedger(dir, 'worker', OTHER_PID).write({ t: 'run', id: ids[0], attempt: 2 });
    const result = await run();
    only(result, undefined);
    expect(result).toMatchObject({ stalled: 1, redelivered: 1 });
  });
});
