// Flows on a real 3-master Redis Cluster: one script call writes every node of a flow, so all its
// queues must share one slot (one hash tag, best in the prefix); other flows are refused up front.
import { Cluster } from 'ioredis';
import { keySlot } from '../../lib/engine/connection/cluster.js';
import { ConveyorValidationError, FlowProducer, Queue, Worker, type Job } from '../../lib/index.js';
import { once } from '../support/events.js';
import { uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterEach, type Closable } from '../support/scope.js';
import { TestCluster } from './cluster-support.js';

describe('Redis Cluster: flows', () => {
  let cluster: TestCluster;
  beforeAll(async () => (cluster = await TestCluster.start()), 60_000);
  afterAll(() => cluster?.stop());
  const scope = closedAfterEach(new BaseScope());
  const track = <T extends Closable>(thing: T): T => scope.track(thing);

  it('adds a flow across queues that share a tagged prefix, and workers complete it bottom-up', async () => {
    const prefix = `{${uniqueName('flows')}}`;
    const producer = track(new FlowProducer({ connection: cluster.connection(), prefix }));
    const tree = await producer.add({
      name: 'report',
      queueName: 'reports',
      children: [
        { name: 'part', queueName: 'parts', data: { n: 1 } },
        { name: 'part', queueName: 'parts', data: { n: 2 } },
      ],
    });
    const parent = tree.job;
    expect(await parent.getState()).toBe('waiting-children');

    track(new Worker('parts', async (job) => job.data.n * 100, { connection: cluster.connection(), prefix }));
    const reports = track(
      new Worker(
        'reports',
        async (job) => {
          const values = await job.getChildrenValues<number>();
          return Object.values(values).sort((x, y) => x - y);
        },
        { connection: cluster.connection(), prefix },
      ),
    );
    const [done, value] = await once<[Job, number[]]>(reports, 'completed', 8000);
    expect(done.id).toBe(parent.id);
    expect(value).toEqual([100, 200]);

    // both queues live on the node of the prefix's tag, nothing anywhere else
    const owner = await cluster.portOfKey(`${prefix}:reports:wait`);
    const byNode = await cluster.keysByNode(`${prefix}:*`);
    expect(byNode[owner].some((k) => k.startsWith(`${prefix}:parts:`))).toBe(true);
    expect(byNode[owner].some((k) => k.startsWith(`${prefix}:reports:`))).toBe(true);
    for (const port of cluster.ports.filter((p) => p !== owner)) expect(byNode[port]).toEqual([]);

    const read = await producer.getFlow({ id: parent.id!, queueName: 'reports' });
    expect(read?.children?.map((child) => child.job.returnvalue).sort()).toEqual([100, 200]);
  });

  it('adds a flow whose queues share a tag in their names, through a Cluster instance passed in', async () => {
    const tag = uniqueName('t');
    const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      const producer = new FlowProducer({ connection: client });
      try {
        const tree = await producer.add({ name: 'top', queueName: `top{${tag}}`, children: [{ name: 'leaf', queueName: `leaf{${tag}}` }] });
        const child = tree.children![0].job;
        expect(child.parentKey).toBe(`bull:top{${tag}}:${tree.job.id}`);
        const queue = new Queue(`leaf{${tag}}`, { connection: client });
        try {
          expect(await queue.getJobState(child.id!)).toBe('waiting');
        } finally {
          await queue.close();
        }
      } finally {
        await producer.close();
      }
      expect(client.status).toBe('ready');
    } finally {
      client.disconnect();
    }
  });

  it('refuses a flow whose queues are in different slots, naming the queues and their slots, and writes nothing', async () => {
    const a = `{${uniqueName('fa')}}`;
    let b = `{${uniqueName('fb')}}`;
    while (keySlot(b) === keySlot(a)) b = `{${uniqueName('fb')}}`;
    const producer = track(new FlowProducer({ connection: cluster.connection() }));
    const error = await producer.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: b }] }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect((error as Error).message).toContain('flow spans hash slots');
    expect((error as Error).message).toContain(`queue "${a}" (prefix "bull") is in slot ${keySlot(a)}`);
    expect((error as Error).message).toContain(`queue "${b}" (prefix "bull") is in slot ${keySlot(b)}`);
    expect(
      Object.values(await cluster.keysByNode(`bull:{f?-*`))
        .flat()
        .filter((k) => k.includes(a) || k.includes(b)),
    ).toEqual([]);
  });

  it('refuses a flow without a hash tag on a cluster, saying how to fix it, and writes nothing', async () => {
    const [a, b] = [uniqueName('fa'), uniqueName('fb')];
    const producer = track(new FlowProducer({ connection: cluster.connection() }));
    const error = await producer.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: b }] }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect((error as Error).message).toMatch(
      new RegExp(`^FlowProducer: queue "${a}" \\(prefix "bull"\\) cannot run on a Redis Cluster: its keys have no hash tag`),
    );
    expect((error as Error).message).toContain('queues that share a flow need the same tag (a tagged prefix does that)');
    expect(
      Object.values(await cluster.keysByNode(`bull:f?-*`))
        .flat()
        .filter((k) => k.includes(a) || k.includes(b)),
    ).toEqual([]);
  });

  it('adds a job with opts.parent in the same slot, and refuses one whose parent is in another slot', async () => {
    const prefix = `{${uniqueName('p')}}`;
    const producer = track(new FlowProducer({ connection: cluster.connection(), prefix }));
    const tree = await producer.add({ name: 'parent', queueName: 'parents', children: [{ name: 'first', queueName: 'kids' }] });
    const kids = track(new Queue('kids', { connection: cluster.connection(), prefix }));
    const late = await kids.add('late', {}, { parent: { id: tree.job.id!, queue: `${prefix}:parents` } });
    expect((await tree.job.getDependenciesCount()).unprocessed).toBe(2);
    expect(late.parentKey).toBe(`${prefix}:parents:${tree.job.id}`);

    let other = `{${uniqueName('o')}}`;
    while (keySlot(other) === keySlot(prefix)) other = `{${uniqueName('o')}}`;
    const stray = track(new Queue('kids', { connection: cluster.connection(), prefix: other }));
    const error = await stray.add('stray', {}, { parent: { id: tree.job.id!, queue: `${prefix}:parents` } }).catch((err: Error) => err);
    expect(error).toBeInstanceOf(ConveyorValidationError);
    expect((error as Error).message).toBe(
      `opts.parent.queue "${prefix}:parents" is in hash slot ${keySlot(prefix)} but this queue "${other}:kids" is in slot ${keySlot(other)}: ` +
        'on a Redis Cluster a job and its parent must share a slot; give both queues the same hash tag (e.g. a prefix like "{flows}")',
    );
    expect(
      Object.values(await cluster.keysByNode(`${other}:*`))
        .flat()
        .filter((k) => !k.endsWith(':meta')),
    ).toEqual([]);
    expect((await tree.job.getDependenciesCount()).unprocessed).toBe(2);
  });
});
