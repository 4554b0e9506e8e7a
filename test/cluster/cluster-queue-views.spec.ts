// Queue views that ask one node rather than a key, on a real 3-master Redis Cluster: getWorkers
// (CLIENT LIST) and removeOrphanedJobs (SCAN) go to the master of the queue's slot.
import { Queue, QueueEvents, Worker } from '../../lib/index.js';
import { uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterEach, type Closable } from '../support/scope.js';
import { until } from '../support/wait.js';
import { TestCluster } from './cluster-support.js';

describe('Redis Cluster: queue views served by one node', () => {
  let cluster: TestCluster;
  beforeAll(async () => (cluster = await TestCluster.start()), 60_000);
  afterAll(() => cluster?.stop());
  const scope = closedAfterEach(new BaseScope());
  const track = <T extends Closable>(thing: T): T => scope.track(thing);

  // a cluster client reaches a node when it first sends it a command: a worker is listed here once
  // it runs (blocks on the marker), not from construction as on a single server
  it("lists each running worker and QueueEvents once, from the node of the queue's slot", async () => {
    const name = `{${uniqueName('cl')}}`;
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const workers = [
      track(new Worker(name, async () => {}, { connection: cluster.connection(), name: 'one' })),
      track(new Worker(name, async () => {}, { connection: cluster.connection(), name: 'two' })),
    ];
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    // until both block on the marker, on the node of the slot
    await until(
      'both workers listed',
      () => queue.getWorkersCount(),
      (n) => n >= 2,
    );
    const events = track(new QueueEvents(name, { connection: cluster.connection() }));
    await events.waitUntilReady();
    const b64 = Buffer.from(name).toString('base64');
    expect((await queue.getWorkers()).map((w) => w.rawname).sort()).toEqual([`bull:${b64}:w:one`, `bull:${b64}:w:two`]);
    expect(await queue.getWorkersCount()).toBe(2);
    expect(await queue.getQueueEvents()).toHaveLength(1);
  });

  it('removes orphaned jobs of a {tag} queue by scanning the node that holds it', async () => {
    const name = `{${uniqueName('cl')}}`;
    const queue = track(new Queue(name, { connection: cluster.connection() }));
    const kept = await queue.add('kept', {});
    const node = cluster.node(await cluster.portOfKey(`bull:${name}:meta`));
    for (let i = 0; i < 30; i++) await node.hset(`bull:${name}:orphan-${i}`, 'name', 'orphan');
    await node.set(`bull:${name}:orphan-0:logs`, 'x');
    expect(await queue.removeOrphanedJobs(7)).toBe(30);
    expect(await node.exists(`bull:${name}:orphan-0`, `bull:${name}:orphan-0:logs`)).toBe(0);
    expect(await queue.getJob(kept.id!)).toBeDefined();
    await queue.obliterate({ force: true });
  });
});
