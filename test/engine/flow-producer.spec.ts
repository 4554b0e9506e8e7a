// FlowProducer.add / addBulk: the Redis layout of a flow (wire-format §1.2, §1.3, §7.1, §7.13),
// flows completing bottom-up with Conveyor workers, re-used children and the deferred release.
import {
  ConveyorScriptError,
  ErrorCode,
  FlowProducer,
  Job,
  type DependencyOpts,
  type FlowJobBase,
  type FlowNestedLeafJob,
  type FlowParentJob,
  type FlowProducerListener,
  type FlowQueuesOpts,
  type FlowRootLeafJob,
  type FlowRootParentJob,
  type JobsOptions,
} from '../../lib/index.js';
import { once, times } from '../support/events.js';
import { connection, streamEvents } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { snapshotQueue } from '../support/snapshot.js';
import { deferred, until } from '../support/wait.js';
import { shape } from './flow-support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('FlowProducer', () => {
  const scope = scopePerTest('flow');

  it('stores a flow across three queues as BullMQ does: parents in waiting-children, children keyed in :dependencies', async () => {
    const [qa, qb, qc] = [scope.name('fa'), scope.name('fb'), scope.name('fc')];
    const before = Date.now();
    const tree = await scope.producer().add({
      name: 'root',
      queueName: qa,
      data: { r: 1 },
      opts: { priority: 3 },
      children: [
        {
          name: 'mid',
          queueName: qb,
          data: { m: 1 },
          opts: { failParentOnFailure: true },
          children: [
            { name: 'leaf1', queueName: qc, data: { l: 1 } },
            { name: 'leaf2', queueName: qc, data: { l: 2 }, opts: { delay: 60_000 } },
          ],
        },
        { name: 'leaf3', queueName: qc, data: { l: 3 }, opts: { priority: 2 } },
      ],
    });
    const root = tree.job;
    const mid = tree.children![0].job;
    const [leaf1, leaf2] = tree.children![0].children!.map((n) => n.job);
    const leaf3 = tree.children![1].job;
    for (const job of [root, mid, leaf1, leaf2, leaf3]) expect(job.id).toMatch(UUID);
    // leaves carry no `children` key, as BullMQ's JobNode
    expect(Object.keys(tree.children![1])).toEqual(['job']);
    expect(shape(tree)).toEqual({
      job: `root@${qa}#${root.id}`,
      children: [
        { job: `mid@${qb}#${mid.id}`, children: [{ job: `leaf1@${qc}#${leaf1.id}` }, { job: `leaf2@${qc}#${leaf2.id}` }] },
        { job: `leaf3@${qc}#${leaf3.id}` },
      ],
    });
    expect(mid.parentKey).toBe(`bull:${qa}:${root.id}`);
    expect(mid.parent).toEqual({ id: root.id, queueKey: `bull:${qa}`, fpof: true });
    expect(mid.opts.parent).toEqual({ id: root.id, queue: `bull:${qa}` });
    expect(root.parentKey).toBeUndefined();

    const r = scope.redis;
    // parents: waiting-children, score = their timestamp; their delay/priority wait for the release
    const rootHash = await r.hgetall(`bull:${qa}:${root.id}`);
    expect(rootHash).toEqual({
      name: 'root',
      data: '{"r":1}',
      opts: expect.any(String),
      timestamp: rootHash.timestamp,
      delay: '0',
      priority: '3',
    });
    expect(JSON.parse(rootHash.opts)).toEqual({ priority: 3, attempts: 0 });
    expect(Number(rootHash.timestamp)).toBeGreaterThanOrEqual(before);
    expect(await r.zrange(`bull:${qa}:waiting-children`, 0, -1, 'WITHSCORES')).toEqual([root.id, rootHash.timestamp]);
    expect(await r.exists(`bull:${qa}:prioritized`, `bull:${qa}:wait`, `bull:${qa}:marker`)).toBe(0);
    expect((await r.smembers(`bull:${qa}:${root.id}:dependencies`)).sort()).toEqual(
      [`bull:${qb}:${mid.id}`, `bull:${qc}:${leaf3.id}`].sort(),
    );
    expect(await r.zrange(`bull:${qb}:waiting-children`, 0, -1)).toEqual([mid.id]);
    expect((await r.smembers(`bull:${qb}:${mid.id}:dependencies`)).sort()).toEqual(
      [`bull:${qc}:${leaf1.id}`, `bull:${qc}:${leaf2.id}`].sort(),
    );

    // children: parentKey + parent JSON (flags only when true), opts.parent as the qualified name
    const midHash = await r.hgetall(`bull:${qb}:${mid.id}`);
    expect(midHash.parentKey).toBe(`bull:${qa}:${root.id}`);
    expect(JSON.parse(midHash.parent)).toEqual({ id: root.id, queueKey: `bull:${qa}`, fpof: true });
    expect(JSON.parse(midHash.opts)).toEqual({ fpof: true, parent: { id: root.id, queue: `bull:${qa}` }, attempts: 0 });
    const leaf1Hash = await r.hgetall(`bull:${qc}:${leaf1.id}`);
    expect(JSON.parse(leaf1Hash.parent)).toEqual({ id: mid.id, queueKey: `bull:${qb}` });
    expect(await r.lrange(`bull:${qc}:wait`, 0, -1)).toEqual([leaf1.id]);
    expect(await r.zrange(`bull:${qc}:prioritized`, 0, -1, 'WITHSCORES')).toEqual([leaf3.id, String(2 * 2 ** 32 + 1)]);
    const [delayedId, delayedScore] = await r.zrange(`bull:${qc}:delayed`, 0, -1, 'WITHSCORES');
    expect(delayedId).toBe(leaf2.id);
    expect(Math.floor(Number(delayedScore) / 4096)).toBe(leaf2.timestamp + 60_000);
    expect(await r.zscore(`bull:${qc}:marker`, '0')).toBe('0');
    expect(await r.zscore(`bull:${qc}:marker`, '1')).toBe(String(leaf2.timestamp + 60_000));

    // every node INCRs its queue's counter; queues made by a flow only get opts.maxLenEvents
    expect([await r.get(`bull:${qa}:id`), await r.get(`bull:${qb}:id`), await r.get(`bull:${qc}:id`)]).toEqual(['1', '1', '3']);
    for (const q of [qa, qb, qc]) expect(await r.hgetall(`bull:${q}:meta`)).toEqual({ 'opts.maxLenEvents': '10000' });

    // events: parents first, level by level
    expect(await streamEvents(r, qa)).toEqual([
      { event: 'added', jobId: root.id, name: 'root' },
      { event: 'waiting-children', jobId: root.id },
    ]);
    expect(await streamEvents(r, qb)).toEqual([
      { event: 'added', jobId: mid.id, name: 'mid' },
      { event: 'waiting-children', jobId: mid.id },
    ]);
    expect(await streamEvents(r, qc)).toEqual([
      { event: 'added', jobId: leaf3.id, name: 'leaf3' },
      { event: 'waiting', jobId: leaf3.id },
      { event: 'added', jobId: leaf1.id, name: 'leaf1' },
      { event: 'waiting', jobId: leaf1.id },
      { event: 'added', jobId: leaf2.id, name: 'leaf2' },
      { event: 'delayed', jobId: leaf2.id, delay: String(leaf2.timestamp + 60_000) },
    ]);
    expect(await root.getState()).toBe('waiting-children');
    expect(await leaf3.getState()).toBe('prioritized');
  });

  it('a nested flow across three queues completes bottom-up; every parent reads its children values', async () => {
    const [qa, qb, qc] = [scope.name('fa'), scope.name('fb'), scope.name('fc')];
    const tree = await scope.producer().add({
      name: 'root',
      queueName: qa,
      data: { level: 0 },
      children: [
        {
          name: 'mid',
          queueName: qb,
          data: { level: 1 },
          children: [
            { name: 'leaf', queueName: qc, data: { n: 1 } },
            { name: 'leaf', queueName: qc, data: { n: 2 } },
          ],
        },
        { name: 'leaf', queueName: qc, data: { n: 3 } },
      ],
    });
    const order: string[] = [];
    const seen: Record<string, unknown> = {};
    const processor = async (job: Job) => {
      order.push(`${job.name}${job.data.n ?? ''}`);
      if (job.name === 'leaf') return { n: job.data.n * 10 };
      seen[job.name] = await job.getChildrenValues();
      return {
        sum: Object.values(seen[job.name] as Record<string, { n?: number; sum?: number }>).reduce((s, v) => s + (v.n ?? v.sum ?? 0), 0),
      };
    };
    const rootWorker = scope.worker(qa, processor);
    scope.worker(qb, processor);
    scope.worker(qc, processor);
    const [done, result] = await once(rootWorker, 'completed', 10000);
    expect(done.id).toBe(tree.job.id);
    expect(result).toEqual({ sum: 60 });
    // the parents ran only after all their children
    expect(order.indexOf('mid')).toBeGreaterThan(Math.max(order.indexOf('leaf1'), order.indexOf('leaf2')));
    expect(order[order.length - 1]).toBe('root');
    const [mid, leaf3] = tree.children!.map((n) => n.job);
    const [leaf1, leaf2] = tree.children![0].children!.map((n) => n.job);
    expect(seen.mid).toEqual({ [`bull:${qc}:${leaf1.id}`]: { n: 10 }, [`bull:${qc}:${leaf2.id}`]: { n: 20 } });
    expect(seen.root).toEqual({ [`bull:${qb}:${mid.id}`]: { sum: 30 }, [`bull:${qc}:${leaf3.id}`]: { n: 30 } });
    expect(await tree.job.getState()).toBe('completed');
    expect(await scope.redis.exists(`bull:${qa}:${tree.job.id}:dependencies`)).toBe(0);
    const parentEvents = (await streamEvents(scope.redis, qa)).map((e) => `${e.event}${e.prev ? `<${e.prev}` : ''}`);
    expect(parentEvents.slice(0, 5)).toEqual([
      'added',
      'waiting-children',
      'waiting<waiting-children',
      'active<waiting',
      'completed<active',
    ]);
  });

  it('re-used children that already completed release their parent at once (deferred release)', async () => {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const children = scope.queue(qc);
    await children.add('pre', { a: 1 }, { jobId: 'done-1' });
    await children.add('pre', { a: 2 }, { jobId: 'done-2' });
    const worker = scope.worker(qc, async (job: Job) => ({ ret: job.id }));
    await times(worker, 'completed', 2, 5000);
    await worker.close();
    const counterBefore = Number(await scope.redis.get(`bull:${qc}:id`));

    const tree = await scope.producer().add({
      name: 'root',
      queueName: qp,
      data: {},
      opts: { jobId: 'P1' },
      children: [
        { name: 'pre', queueName: qc, data: { other: 1 }, opts: { jobId: 'done-1' } },
        { name: 'pre', queueName: qc, data: { other: 2 }, opts: { jobId: 'done-2' } },
      ],
    });
    expect(tree.children!.map((n) => n.job.id)).toEqual(['done-1', 'done-2']);
    const r = scope.redis;
    expect(await r.hgetall(`bull:${qp}:P1:processed`)).toEqual({
      [`bull:${qc}:done-1`]: '{"ret":"done-1"}',
      [`bull:${qc}:done-2`]: '{"ret":"done-2"}',
    });
    expect(await r.exists(`bull:${qp}:P1:dependencies`)).toBe(0);
    expect(await r.exists(`bull:${qp}:waiting-children`)).toBe(0);
    expect(await r.lrange(`bull:${qp}:wait`, 0, -1)).toEqual(['P1']);
    expect(await r.zscore(`bull:${qp}:marker`, '0')).toBe('0');
    expect((await streamEvents(r, qp)).map((e) => `${e.event}${e.prev ? `<${e.prev}` : ''}`)).toEqual([
      'added',
      'waiting-children',
      'waiting<waiting-children',
    ]);
    // the re-used jobs keep their data, learn their parent, and say "duplicated"
    const reused = await r.hgetall(`bull:${qc}:done-1`);
    expect(reused.data).toBe('{"a":1}');
    expect(reused.parentKey).toBe(`bull:${qp}:P1`);
    expect(JSON.parse(reused.parent)).toEqual({ id: 'P1', queueKey: `bull:${qp}` });
    expect((await streamEvents(r, qc)).filter((e) => e.event === 'duplicated').map((e) => e.jobId)).toEqual(['done-1', 'done-2']);
    // each flow node takes a counter value, re-used or not (the adds above reserved theirs in a block)
    expect(Number(await r.get(`bull:${qc}:id`))).toBe(counterBefore + 2);

    // a re-used child that has not completed is an ordinary pending dependency
    await children.add('later', {}, { jobId: 'pending-1', delay: 60_000 });
    await scope.producer().add({
      name: 'root',
      queueName: qp,
      data: {},
      opts: { jobId: 'P2' },
      children: [{ name: 'later', queueName: qc, data: {}, opts: { jobId: 'pending-1' } }],
    });
    expect(await r.smembers(`bull:${qp}:P2:dependencies`)).toEqual([`bull:${qc}:pending-1`]);
    expect(await r.zscore(`bull:${qp}:waiting-children`, 'P2')).not.toBeNull();
  });

  it("a job that gains a parent while it is active releases that parent when it finishes (bullmq's flow test)", async () => {
    const q = scope.name('fa');
    const { promise: held, resolve: release } = scope.gate();
    const started = deferred();
    const worker = scope.worker(q, async (job: Job) => {
      if (job.id === 'mon') {
        started.resolve();
        await held;
      }
      return job.id;
    });
    const parentDone = once<[Job]>(worker, 'completed', 8000, (job: Job) => job.id === 'tue');
    await scope.producer().add({ name: 'mon', queueName: q, opts: { jobId: 'mon' } });
    await started.promise;
    // 'mon' is active (taken without a parent) when a new flow makes it the child of 'tue'
    await scope
      .producer()
      .add({ name: 'tue', queueName: q, opts: { jobId: 'tue' }, children: [{ name: 'mon', queueName: q, opts: { jobId: 'mon' } }] });
    expect(await scope.redis.hget(`bull:${q}:mon`, 'parentKey')).toBe(`bull:${q}:tue`);
    release();
    await parentDone;
    expect(await scope.redis.hgetall(`bull:${q}:tue:processed`)).toEqual({ [`bull:${q}:mon`]: '"mon"' });
  });

  it('a root with opts.parent joins an existing parent; a missing parent or a child owned by another live parent writes nothing', async () => {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const flows = scope.producer();
    await flows.add({
      name: 'holder',
      queueName: qp,
      data: {},
      opts: { jobId: 'H' },
      children: [{ name: 'x', queueName: qc, data: {}, opts: { jobId: 'hx', delay: 60_000 } }],
    });
    const sub = await flows.add({
      name: 'sub',
      queueName: qc,
      data: {},
      opts: { jobId: 'S', parent: { id: 'H', queue: `bull:${qp}` }, failParentOnFailure: true },
      children: [{ name: 'sx', queueName: qc, data: {}, opts: { jobId: 'sx' } }],
    });
    expect(sub.job.parentKey).toBe(`bull:${qp}:H`);
    const r = scope.redis;
    expect((await r.smembers(`bull:${qp}:H:dependencies`)).sort()).toEqual([`bull:${qc}:S`, `bull:${qc}:hx`]);
    expect(JSON.parse((await r.hget(`bull:${qc}:S`, 'parent'))!)).toEqual({ id: 'H', queueKey: `bull:${qp}`, fpof: true });
    expect(await r.zscore(`bull:${qc}:waiting-children`, 'S')).not.toBeNull();

    const snapshotBefore = JSON.stringify([await snapshotQueue(r, qp), await snapshotQueue(r, qc)]);
    const missing = flows.add({
      name: 'orphan',
      queueName: qc,
      data: {},
      opts: { jobId: 'O', parent: { id: 'nope', queue: `bull:${qp}` } },
      children: [{ name: 'ox', queueName: qc, data: {} }],
    });
    await expect(missing).rejects.toThrow(ConveyorScriptError);
    await expect(missing).rejects.toMatchObject({ code: ErrorCode.ParentJobNotExist });
    // bullmq's text, naming the missing parent, then which node it was
    await expect(missing).rejects.toThrow(
      `Missing key for parent job bull:${qp}:nope. addJob (flow: "orphan" in queue "${qc}"; nothing was added)`,
    );
    // hx belongs to H (alive): it cannot move under another parent, so the whole flow is refused
    const stolen = flows.add({
      name: 'thief',
      queueName: qp,
      data: {},
      opts: { jobId: 'T' },
      children: [
        { name: 'fresh', queueName: qc, data: {}, opts: { jobId: 'fresh' } },
        { name: 'x', queueName: qc, data: {}, opts: { jobId: 'hx' } },
      ],
    });
    await expect(stolen).rejects.toMatchObject({ code: ErrorCode.ParentJobCannotBeReplaced });
    await expect(stolen).rejects.toThrow(`The parent job bull:${qp}:T cannot be replaced. addJob (flow.children[1]: "x" in queue "${qc}"`);
    expect(JSON.stringify([await snapshotQueue(r, qp), await snapshotQueue(r, qc)])).toBe(snapshotBefore);
  });

  it('applies queuesOptions defaults per queue; a node without prefix takes the producer prefix, not its parent one', async () => {
    const [qp, qc] = [scope.name('fp', 'rootP'), scope.name('fc', 'fpA')];
    scope.removeKeysOf(qc, 'own');
    const tree = await scope.producer('fpA').add(
      {
        name: 'root',
        queueName: qp,
        prefix: 'rootP',
        data: {},
        children: [
          { name: 'k', queueName: qc, data: {}, children: [{ name: 'kk', queueName: qc, data: {} }] },
          { name: 'k2', queueName: qc, data: {}, prefix: 'own', opts: { attempts: 2 } },
        ],
      },
      {
        queuesOptions: {
          [qc]: { defaultJobOptions: { attempts: 5, removeOnComplete: true } },
          [qp]: { defaultJobOptions: { priority: 7 } },
        },
      },
    );
    const [k, k2] = tree.children!.map((n) => n.job);
    const kk = tree.children![0].children![0].job;
    expect(tree.job.queueQualifiedName).toBe(`rootP:${qp}`);
    expect(tree.job.opts).toEqual({ priority: 7 });
    expect(k.queueQualifiedName).toBe(`fpA:${qc}`);
    expect(k.opts).toEqual({ attempts: 5, removeOnComplete: true, parent: { id: tree.job.id, queue: `rootP:${qp}` } });
    expect(kk.parentKey).toBe(`fpA:${qc}:${k.id}`);
    expect(k2.queueQualifiedName).toBe(`own:${qc}`);
    expect(k2.opts.attempts).toBe(2);
    const r = scope.redis;
    expect(await r.hget(`rootP:${qp}:${tree.job.id}`, 'priority')).toBe('7');
    expect(JSON.parse((await r.hget(`fpA:${qc}:${kk.id}`, 'opts'))!)).toEqual({
      attempts: 5,
      removeOnComplete: true,
      parent: { id: k.id, queue: `fpA:${qc}` },
    });
    expect(await r.hget(`own:${qc}:${k2.id}`, 'parentKey')).toBe(`rootP:${qp}:${tree.job.id}`);
    expect((await r.smembers(`rootP:${qp}:${tree.job.id}:dependencies`)).sort()).toEqual(
      [`fpA:${qc}:${k.id}`, `own:${qc}:${k2.id}`].sort(),
    );
  });

  it('addBulk adds several flows in one call and answers one tree per flow', async () => {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const nodes = await scope.producer().addBulk([
      { name: 'a', queueName: qp, data: { a: 1 } },
      { name: 'b', queueName: qp, data: {}, children: [{ name: 'bc', queueName: qc, data: {} }] },
    ]);
    expect(nodes.map((n) => [n.job.name, Object.keys(n)])).toEqual([
      ['a', ['job']],
      ['b', ['job', 'children']],
    ]);
    expect(await nodes[0].job.getState()).toBe('waiting');
    expect(await nodes[1].job.getState()).toBe('waiting-children');
    expect(await nodes[1].children![0].job.getState()).toBe('waiting');
    expect(await scope.producer().addBulk([])).toEqual([]);
  });

  it('a flow with an empty children array is an ordinary job; a parent keeps its delay and priority for its release', async () => {
    const [qp, qc] = [scope.name('fp'), scope.name('fc')];
    const flows = scope.producer();
    const lone = await flows.add({ name: 'lone', queueName: qp, data: {}, children: [] });
    expect(Object.keys(lone)).toEqual(['job']);
    expect(await lone.job.getState()).toBe('waiting');
    const tree = await flows.add({
      name: 'late',
      queueName: qp,
      data: {},
      opts: { delay: 60_000 },
      children: [{ name: 'c', queueName: qc, data: {} }],
    });
    expect(await tree.job.getState()).toBe('waiting-children');
    const worker = scope.worker(qc, async () => 'ok');
    await once(worker, 'completed', 5000);
    const released = await until(
      'parent released to delayed',
      () => tree.job.getState(),
      (s) => s === 'delayed',
    );
    expect(released).toBe('delayed');
    const score = Number(await scope.redis.zscore(`bull:${qp}:delayed`, tree.job.id!));
    // released with seq 0 at now + delay
    expect(score % 4096).toBe(0);
    expect(score / 4096).toBeGreaterThanOrEqual(tree.job.timestamp + 60_000);
  });

  it('removing a parent removes its children in every queue', async () => {
    const [qa, qb, qc] = [scope.name('fa'), scope.name('fb'), scope.name('fc')];
    const tree = await scope.producer().add({
      name: 'root',
      queueName: qa,
      data: {},
      children: [
        { name: 'mid', queueName: qb, data: {}, children: [{ name: 'leaf', queueName: qc, data: {} }] },
        { name: 'leaf', queueName: qc, data: {} },
      ],
    });
    const jobs = [tree.job, tree.children![0].job, tree.children![0].children![0].job, tree.children![1].job];
    await tree.job.remove();
    for (const job of jobs) expect(await scope.redis.exists(job.key)).toBe(0);
    expect(await scope.redis.exists(`bull:${qa}:waiting-children`, `bull:${qb}:waiting-children`, `bull:${qc}:wait`)).toBe(0);
    expect((await streamEvents(scope.redis, qc)).filter((e) => e.event === 'removed').length).toBe(2);
  });

  it("has bullmq's members: toKey, a Job class subclasses can swap, closing, ioredis:close when the connection drops", async () => {
    const q = scope.name('fm');
    class TaggedJob extends Job {
      readonly tagged = true;
    }
    class TaggedProducer extends FlowProducer {
      protected override get Job(): typeof Job {
        return TaggedJob as typeof Job;
      }
    }
    const flows = scope.track(new TaggedProducer({ connection: connection(), prefix: 'bull' }));
    expect(flows.toKey(q, 'wait')).toBe(`bull:${q}:wait`);
    const tree = await flows.add({
      name: 'p',
      queueName: q,
      opts: { jobId: 'p' },
      children: [{ name: 'c', queueName: q, opts: { jobId: 'c' } }],
    });
    expect(tree.job).toBeInstanceOf(TaggedJob);
    expect(tree.children![0].job).toBeInstanceOf(TaggedJob);

    const dropped = once(flows, 'ioredis:close', 5000);
    // the socket dropped under the client, without a Redis command (the ACL suite's user may not run CLIENT)
    const client = (await flows.client) as unknown as { stream: { destroy(): void } };
    client.stream.destroy();
    await dropped;

    expect(flows.closing).toBeUndefined();
    const closing = flows.close();
    expect(flows.closing).toBe(closing);
    await closing;
  });

  it("takes flows typed with bullmq's type names (checked by tsc)", async () => {
    const q = scope.name('ft');
    const leaf: FlowNestedLeafJob = { name: 'leaf', queueName: q };
    const mid: FlowParentJob = { name: 'mid', queueName: q, children: [leaf] };
    const root: FlowRootParentJob = { name: 'root', queueName: q, children: [mid] };
    const lone: FlowRootLeafJob = { name: 'lone', queueName: q };
    const base: FlowJobBase<JobsOptions> = { name: 'base', queueName: q, opts: { delay: 1 } };
    const queuesOptions: FlowQueuesOpts = { [q]: { defaultJobOptions: { attempts: 2 } } };
    const page: DependencyOpts = { count: 5 };
    const onError: FlowProducerListener['error'] = () => undefined;
    const flows = scope.producer();
    flows.on('error', onError);
    const [tree] = await flows.addBulk([root, lone, base]);
    expect(tree.children![0].children![0].job.opts.attempts).toBeUndefined();
    expect((await flows.add(lone, { queuesOptions })).job.opts.attempts).toBe(2);
    expect((await tree.job.getDependencies({ unprocessed: page })).unprocessed).toHaveLength(1);
  });
});
