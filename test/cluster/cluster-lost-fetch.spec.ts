// A fetch whose reply is lost on a Redis Cluster: the node connection that carried it is cut once
// Redis ran it. ioredis does not re-make a node's connection; it refreshes the slots, makes a new
// one and sends the fetch again through it, which takes other jobs. The worker must take the
// first jobs back at once, as on a single server (test/engine/faults-lost-fetch.spec.ts).
import type { ClusterConnectionOptions } from '../../lib/engine/connection/cluster.js';
import { Queue, Worker, type Job } from '../../lib/index.js';
import { uniqueName } from '../support/redis.js';
import { ReplyLosingProxy, scriptCall } from '../support/reply-losing-proxy.js';
import { BaseScope, closedAfterEach } from '../support/scope.js';
import { until } from '../support/wait.js';
import { TestCluster } from './cluster-support.js';

describe('Redis Cluster: a fetch whose reply was lost', () => {
  let cluster: TestCluster;
  beforeAll(async () => (cluster = await TestCluster.start()), 60_000);
  afterAll(() => cluster?.stop());
  const scope = closedAfterEach(new BaseScope());

  /** A connection whose every node is reached through its own proxy (natMap rewrites the addresses the cluster announces). */
  async function throughProxies(): Promise<{ connection: ClusterConnectionOptions; proxies: ReplyLosingProxy[] }> {
    const proxies: ReplyLosingProxy[] = [];
    const natMap: Record<string, { host: string; port: number }> = {};
    for (const port of cluster.ports) {
      const proxy = new ReplyLosingProxy({ host: '127.0.0.1', port });
      scope.onClose(() => proxy.close());
      natMap[`127.0.0.1:${port}`] = { host: '127.0.0.1', port: await proxy.listen() };
      proxies.push(proxy);
    }
    return {
      connection: { cluster: { nodes: Object.values(natMap), options: { natMap } } },
      proxies,
    };
  }

  it('moveToActive: the jobs of the lost reply are handed back at once and run once each, stc untouched', async () => {
    const name = `{${uniqueName('cl-lost')}}`;
    const queue = scope.track(new Queue(name, { connection: cluster.connection() }));
    const jobs = await queue.addBulk(['a', 'b', 'c', 'd'].map((n) => ({ name: n, data: {} })));
    const { connection, proxies } = await throughProxies();
    for (const proxy of proxies) proxy.arm(scriptCall('moveToActive'));
    const runs: string[] = [];
    const stalled: string[] = [];
    const started = Date.now();
    const worker = scope.track(
      new Worker(
        name,
        async (job: Job) => {
          runs.push(job.name);
        },
        { connection, concurrency: 2 },
      ),
    );
    worker.on('stalled', (id) => stalled.push(id));
    worker.on('error', () => {});
    await until(
      'every job to complete',
      () => queue.getCompletedCount(),
      (n) => n === 4,
      15_000,
    );

    expect(proxies.reduce((n, p) => n + p.lost, 0)).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(runs.slice(0, 2).sort()).toEqual(['c', 'd']);
    expect(runs.slice(2)).toEqual(['a', 'b']);
    expect(stalled).toEqual([]);
    const client = await queue.client;
    for (const job of jobs) expect(await client.hget(queue.toKey(job.id!), 'stc')).toBeNull();
    expect(await client.llen(queue.toKey('active'))).toBe(0);
  });
});
