// Single adds made in the same tick go to Redis as one addJobs call (job/add-batcher.ts), and
// each still ends as its own add would have alone: the same ids, order, events and errors.
import { ReplyError } from 'ioredis';
import { MAX_BATCH_CHARS, MAX_BATCH_JOBS, SPLIT_MIN_JOBS } from '../../lib/engine/job/add-batcher.js';
import { ConveyorConnectionError, ConveyorScriptError, ConveyorValidationError, Job, Queue, type JobsOptions } from '../../lib/index.js';
import { freePort } from '../../scripts/redis-server.mjs';
import { type Scope, scopePerTest } from '../support/scope.js';
import { within } from '../support/wait.js';

interface AddCall {
  jobs: number;
  each: boolean;
}

/** The addJobs calls `queue` sends from now on: how many jobs each carried, and whether in "each" mode. */
function recordAddCalls(queue: Queue): AddCall[] {
  const calls: AddCall[] = [];
  const exec = queue.exec.bind(queue);
  queue.exec = (script, keys, args) => {
    if (script === 'addJobs') calls.push({ jobs: (JSON.parse(String(args[1])) as unknown[]).length, each: args[2] === 'each' });
    return exec(script, keys, args);
  };
  return calls;
}

/** The calls a burst of `n` adds on an idle queue makes: the first at once, alone, the others in one batch. */
function burst(n: number): AddCall[] {
  return [
    { jobs: 1, each: false },
    { jobs: n - 1, each: true },
  ];
}

/** The events stream as "<event> <jobId>" lines. */
async function events(scope: Scope, queue: Queue): Promise<string[]> {
  return (await scope.redis.xrange(`bull:${queue.name}:events`, '-', '+')).map(([, f]) => `${f[1]} ${f[3]}`);
}

/** How each of `adds` ended: its id, or its error. */
function outcomes(adds: Promise<Job>[]): Promise<(string | Error)[]> {
  return Promise.all(
    adds.map((a) =>
      a.then(
        (j) => j.id!,
        (e: Error) => e,
      ),
    ),
  );
}

describe('single adds of one tick travel together', () => {
  const scope = scopePerTest('batch');

  async function readyQueue(opts: ConstructorParameters<typeof Queue>[1] = {}): Promise<Queue> {
    const queue = scope.queue(undefined, opts);
    await queue.waitUntilReady();
    return queue;
  }

  it('a burst: the first add goes at once, the others in one call; ids, wait order, events and "waiting" follow the add calls', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const waiting: string[] = [];
    queue.on('waiting', (job: Job) => waiting.push(job.id!));
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, i) => queue.add(`j${i}`, { i })));
    expect(calls).toEqual(burst(50));
    const ids = jobs.map((j) => j.id!);
    ids.forEach((id, i) => i > 0 && expect(Number(id)).toBeGreaterThan(Number(ids[i - 1])));
    expect(jobs.map((j) => j.data)).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
    expect(waiting).toEqual(ids);
    // LPUSH: the first added is the first to run, at the right end
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual(ids);
    expect(await events(scope, queue)).toEqual(ids.flatMap((id) => [`added ${id}`, `waiting ${id}`]));
    expect(await scope.redis.hget(`bull:${queue.name}:${ids[7]}`, 'data')).toBe('{"i":7}');
  });

  it('delayed, prioritized, lifo and custom-id jobs of one burst land where lone adds put them, with the markers', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const plan: [string, JobsOptions][] = [
      ['plain', {}],
      ['later', { delay: 60_000 }],
      ['urgent', { priority: 1 }],
      ['next', { lifo: true }],
      ['mine', { jobId: 'mine' }],
      ['sooner', { delay: 30_000 }],
      ['less-urgent', { priority: 5 }],
    ];
    const jobs = await Promise.all(plan.map(([name, opts]) => queue.add(name, {}, opts)));
    expect(calls).toEqual(burst(plan.length));
    const idOf = Object.fromEntries(jobs.map((j) => [j.name, j.id!]));
    expect(idOf.mine).toBe('mine');
    const base = `bull:${queue.name}:`;
    // next to run first (RPUSH), then plain, then mine
    expect((await scope.redis.lrange(`${base}wait`, 0, -1)).reverse()).toEqual([idOf.next, idOf.plain, idOf.mine]);
    expect(await scope.redis.zrange(`${base}prioritized`, 0, -1)).toEqual([idOf.urgent, idOf['less-urgent']]);
    expect(await scope.redis.zrange(`${base}delayed`, 0, -1)).toEqual([idOf.sooner, idOf.later]);
    const marker = await scope.redis.zrange(`${base}marker`, 0, -1, 'WITHSCORES');
    expect(marker[0]).toBe('0');
    expect(marker[2]).toBe('1');
    expect(Number(marker[3])).toBe(jobs.find((j) => j.name === 'sooner')!.timestamp + 30_000);
    const kinds = (await events(scope, queue)).map((e) => e.split(' ')[0]);
    expect(kinds).toEqual([
      'added',
      'waiting',
      'added',
      'delayed',
      'added',
      'waiting',
      'added',
      'waiting',
      'added',
      'waiting',
      'added',
      'delayed',
      'added',
      'waiting',
    ]);
  });

  it('a bad add in the middle rejects alone, with the error it gets alone, and never reaches Redis', async () => {
    const queue = await readyQueue();
    const alone = await queue.add('bad', {}, { priority: 0.5 }).catch((e: Error) => e);
    expect(alone).toBeInstanceOf(ConveyorValidationError);
    const calls = recordAddCalls(queue);
    const ended = await outcomes([queue.add('a', {}), queue.add('bad', {}, { priority: 0.5 }), queue.add('c', {})]);
    expect(calls).toEqual(burst(2));
    expect(ended[1]).toBeInstanceOf(ConveyorValidationError);
    expect((ended[1] as Error).message).toBe((alone as Error).message);
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual([ended[0], ended[2]]);
  });

  it('a job the script refuses rejects alone with the text a lone add gets; a child of a parent added earlier in the burst goes in', async () => {
    const queue = await readyQueue();
    const parentQueue = `bull:${queue.name}`;
    const gone = { parent: { id: 'gone', queue: parentQueue } };
    const alone = await queue.add('orphan', {}, gone).catch((e: Error) => e);
    expect(alone).toBeInstanceOf(ConveyorScriptError);
    expect((alone as Error).message).toBe(`Missing key for parent job ${parentQueue}:gone. addJob`);
    // a child already owned by a live parent cannot move to another (-7)
    await queue.add('p1', {}, { jobId: 'p1' });
    await queue.add('owned', {}, { jobId: 'owned', parent: { id: 'p1', queue: parentQueue } });

    const calls = recordAddCalls(queue);
    const ended = await outcomes([
      queue.add('first', {}),
      queue.add('orphan', {}, gone),
      queue.add('parent', {}, { jobId: 'p2' }),
      queue.add('child', {}, { jobId: 'kid', parent: { id: 'p2', queue: parentQueue } }),
      queue.add('owned', {}, { jobId: 'owned', parent: { id: 'p2', queue: parentQueue } }),
      queue.add('last', {}),
    ]);
    expect(calls).toEqual(burst(6));
    expect(ended[1]).toBeInstanceOf(ConveyorScriptError);
    expect((ended[1] as ConveyorScriptError).code).toBe(-5);
    expect((ended[1] as Error).message).toBe((alone as Error).message);
    expect((ended[4] as Error).message).toBe(`The parent job ${parentQueue}:p2 cannot be replaced. addJob`);
    expect([ended[2], ended[3]]).toEqual(['p2', 'kid']);
    expect(await scope.redis.smembers(`${parentQueue}:p2:dependencies`)).toEqual([`${parentQueue}:kid`]);
    expect(await scope.redis.hget(`${parentQueue}:owned`, 'parentKey')).toBe(`${parentQueue}:p1`);
    const wait = (await scope.redis.lrange(`${parentQueue}:wait`, 0, -1)).reverse();
    expect(wait.slice(-4)).toEqual([ended[0], 'p2', 'kid', ended[5]]);
  });

  it('a job whose writes raise an error rejects alone (the others are written), as its lone add rejects', async () => {
    const queue = await readyQueue();
    const parentQueue = `bull:${queue.name}`;
    await queue.add('parent', {}, { jobId: 'broken' });
    // the parent's dependencies set is no set: the child's SADD fails
    await scope.redis.set(`${parentQueue}:broken:dependencies`, 'x');
    const child = { parent: { id: 'broken', queue: parentQueue } };
    const alone = await queue.add('child', {}, child).catch((e: Error) => e);
    expect((alone as Error).message).toMatch(/WRONGTYPE/);
    const calls = recordAddCalls(queue);
    const ended = await outcomes([queue.add('a', {}), queue.add('child', {}, child), queue.add('c', {})]);
    expect(calls).toEqual(burst(3));
    expect(ended[1]).toBeInstanceOf(ReplyError);
    expect((ended[1] as Error).message).toMatch(/WRONGTYPE/);
    expect(typeof ended[0]).toBe('string');
    expect(typeof ended[2]).toBe('string');
    // what the failed job wrote before the error stays, as it does for a lone add
    const wait = (await scope.redis.lrange(`${parentQueue}:wait`, 0, -1)).reverse();
    expect(wait.filter((id) => id === ended[0] || id === ended[2])).toEqual([ended[0], ended[2]]);
  });

  it('a job whose parent check raises an error rejects alone; the others of the call are written and resolve', async () => {
    const queue = await readyQueue();
    const parentQueue = `bull:${queue.name}`;
    await queue.add('parent', {}, { jobId: 'p' });
    // the child's custom id names a key that is no hash: reading its current parent fails
    await scope.redis.set(`${parentQueue}:clash`, 'x');
    const child = { jobId: 'clash', parent: { id: 'p', queue: parentQueue } };
    const calls = recordAddCalls(queue);
    const ended = await outcomes([queue.add('a', {}), queue.add('b', {}), queue.add('child', {}, child), queue.add('d', {})]);
    expect(calls).toEqual(burst(4));
    expect(ended[2]).toBeInstanceOf(ReplyError);
    expect((ended[2] as Error).message).toMatch(/WRONGTYPE/);
    expect([typeof ended[1], typeof ended[3]]).toEqual(['string', 'string']);
    const wait = (await scope.redis.lrange(`${parentQueue}:wait`, 0, -1)).reverse();
    expect(wait.slice(-3)).toEqual([ended[0], ended[1], ended[3]]);
  });

  it('two adds of one burst with the same custom id: one job, the first one\'s, and a "duplicated" event', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const [first, second] = await Promise.all([queue.add('one', { n: 1 }, { jobId: 'x' }), queue.add('two', { n: 2 }, { jobId: 'x' })]);
    expect(calls).toEqual(burst(2));
    expect([first.id, second.id]).toEqual(['x', 'x']);
    expect(await scope.redis.hget(`bull:${queue.name}:x`, 'data')).toBe('{"n":1}');
    expect(await events(scope, queue)).toEqual(['added x', 'waiting x', 'duplicated x']);
  });

  it("two adds of one burst with the same deduplication id: the second gets the first one's id", async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const de = { deduplication: { id: 'same' } };
    const [first, second] = await Promise.all([queue.add('one', { n: 1 }, de), queue.add('two', { n: 2 }, de)]);
    expect(calls).toEqual(burst(2));
    expect(second.id).toBe(first.id);
    expect(await scope.redis.llen(`bull:${queue.name}:wait`)).toBe(1);
    expect(await scope.redis.get(`bull:${queue.name}:de:same`)).toBe(first.id);
  });

  it(`once adds come together, a tick's adds made with nothing out go as two calls from ${SPLIT_MIN_JOBS} on, in order`, async () => {
    const queue = await readyQueue();
    // a first burst: adds now come together, and nothing is out once it is written
    await Promise.all([queue.add('a', {}), queue.add('b', {}), queue.add('c', {})]);
    const calls = recordAddCalls(queue);
    const small = await Promise.all(Array.from({ length: SPLIT_MIN_JOBS - 1 }, (_, i) => queue.add('s', { i })));
    const n = 2 * SPLIT_MIN_JOBS + 1;
    const split = await Promise.all(Array.from({ length: n }, (_, i) => queue.add('t', { i })));
    expect(calls).toEqual([
      { jobs: SPLIT_MIN_JOBS - 1, each: true },
      { jobs: SPLIT_MIN_JOBS + 1, each: true },
      { jobs: SPLIT_MIN_JOBS, each: true },
    ]);
    const ids = [...small, ...split].map((j) => Number(j.id));
    ids.forEach((id, i) => i > 0 && expect(id).toBeGreaterThan(ids[i - 1]));
    expect(split.map((j) => j.data)).toEqual(Array.from({ length: n }, (_, i) => ({ i })));
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse().slice(3)).toEqual(ids.map(String));
  });

  it(`a burst over ${MAX_BATCH_JOBS} jobs is cut into calls of at most that many, in order`, async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const n = 2 * MAX_BATCH_JOBS + 500;
    const jobs = await Promise.all(Array.from({ length: n }, (_, i) => queue.add('j', { i })));
    expect(calls).toEqual([
      { jobs: 1, each: false },
      { jobs: MAX_BATCH_JOBS, each: true },
      { jobs: MAX_BATCH_JOBS, each: true },
      { jobs: 499, each: true },
    ]);
    const ids = jobs.map((j) => Number(j.id));
    ids.forEach((id, i) => i > 0 && expect(id).toBeGreaterThan(ids[i - 1]));
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual(ids.map(String));
  });

  it('an add bigger than a batch may carry goes alone; the adds around it go in order', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const big = 'x'.repeat(MAX_BATCH_CHARS);
    const jobs = await Promise.all([
      queue.add('a', {}),
      queue.add('b', {}),
      queue.add('big', { big }),
      queue.add('c', {}),
      queue.add('d', {}),
    ]);
    expect(calls.map((c) => c.jobs)).toEqual([1, 1, 1, 2]);
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual(jobs.map((j) => j.id));
  });

  it('Job.create calls of one tick travel together too, without the queue\'s "waiting" event', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const waiting: string[] = [];
    queue.on('waiting', (job: Job) => waiting.push(job.id!));
    const created = await Promise.all([Job.create(queue, 'a', {}), Job.create(queue, 'b', {}), Job.create(queue, 'c', {})]);
    expect(calls).toEqual(burst(3));
    expect(waiting).toEqual([]);
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual(created.map((j) => j.id));
  });

  it('an addBulk among the adds of a tick stays its own all-or-nothing call, and keeps its place in the order', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const [a, bulk, c] = await Promise.all([
      queue.add('a', {}),
      queue.addBulk([
        { name: 'b1', data: {} },
        { name: 'b2', data: {} },
      ]),
      queue.add('c', {}),
      queue.add('d', {}),
    ]);
    expect(calls).toEqual([
      { jobs: 1, each: false },
      { jobs: 2, each: false },
      { jobs: 2, each: true },
    ]);
    const wait = (await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse();
    expect(wait.slice(0, 4)).toEqual([a.id, ...bulk.map((j) => j.id), c.id]);
  });

  it('a lone add goes at once, as the call of an unbatched add', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    for (let i = 0; i < 3; i++) await queue.add('lone', { i });
    expect(calls).toEqual([
      { jobs: 1, each: false },
      { jobs: 1, each: false },
      { jobs: 1, each: false },
    ]);
  });

  it('once adds come together, a whole burst goes in one call; one at a time again, they go at once again', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    await Promise.all(Array.from({ length: 10 }, (_, i) => queue.add('first', { i })));
    const second = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.add('second', { i })));
    for (let i = 0; i < 3; i++) await queue.add('lone', { i });
    expect(calls).toEqual([
      ...burst(10),
      { jobs: 10, each: true },
      // the first lone add waits a microtask for company, finds none: the next ones go at once
      { jobs: 1, each: true },
      { jobs: 1, each: false },
      { jobs: 1, each: false },
    ]);
    const wait = (await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse();
    expect(wait.slice(10, 20)).toEqual(second.map((j) => j.id));
  });

  it('adds made by separate callbacks while a call is out travel together', async () => {
    const queue = await readyQueue();
    const calls = recordAddCalls(queue);
    const adds = [queue.add('first', {})];
    // ten callbacks of one turn of the event loop, as the requests of a web server
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 10; i++) setImmediate(() => adds.push(queue.add('cb', { i })));
      setImmediate(resolve);
    });
    const jobs = await Promise.all(adds);
    expect(calls).toEqual(burst(11));
    expect((await scope.redis.lrange(`bull:${queue.name}:wait`, 0, -1)).reverse()).toEqual(jobs.map((j) => j.id));
  });

  it('Redis unreachable: every add of bursts made over several turns rejects with the connection error after one wait', async () => {
    const port = await freePort();
    const connectTimeout = 300;
    const queue = scope.track(new Queue(scope.name(), { connection: { host: '127.0.0.1', port, connectTimeout } }));
    queue.on('error', () => {});
    const adds: Promise<Job>[] = [];
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 10; i++) adds.push(queue.add('j', { turn, i }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // the batches wait for the connection side by side, not one after the other (see connection
    // faults for the bound of a lone add)
    const ended = await within(outcomes(adds), 10 * connectTimeout, 'the adds');
    for (const outcome of ended) expect(outcome).toBeInstanceOf(ConveyorConnectionError);
  });

  it('CLIENT KILL under bursts: every add resolves, one job per add, each with its own data', async () => {
    const queue = await readyQueue();
    queue.on('error', () => {});
    const base = `bull:${queue.name}:`;
    const ids = new Map<string, string>();
    for (let round = 0; round < 8; round++) {
      const clientId = await (await queue.client).client('ID');
      const burst = Array.from({ length: 40 }, (_, i) => queue.add('k', { round, i }));
      // the kill lands before, during or after the batch's call, as the round has it
      for (let w = 0; w < round; w++) await new Promise((resolve) => setImmediate(resolve));
      await scope.redis.client('KILL', 'ID', String(clientId));
      const jobs = await Promise.all(burst);
      jobs.forEach((job, i) => ids.set(job.id!, JSON.stringify({ round, i })));
    }
    expect(ids.size).toBe(8 * 40);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await scope.redis.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found.filter((k) => /^\d+$/.test(k.slice(base.length))));
    } while (cursor !== '0');
    expect(keys.sort()).toEqual([...ids.keys()].map((id) => `${base}${id}`).sort());
    for (const [id, data] of ids) expect(await scope.redis.hget(`${base}${id}`, 'data')).toBe(data);
    expect(await scope.redis.llen(`${base}wait`)).toBe(8 * 40);
  });
});
