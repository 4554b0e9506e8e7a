// A throwaway 3-master Redis Cluster for the cluster suites: redis-server processes on free
// loopback ports, each in its own directory, joined by `redis-cli --cluster create`.
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { ClusterConnectionOptions } from '../../lib/engine/connection/cluster.js';
import { freePort, RedisServer } from '../../scripts/redis-server.mjs';
import { until } from '../support/wait.js';

const run = promisify(execFile);

export class TestCluster {
  private readonly extraClients = new Set<Cluster | Redis>();

  private constructor(private readonly nodes: RedisServer[]) {}

  /**
   * Starts `size` masters (no replicas) and resolves once every node reports cluster_state:ok.
   * Every step has its own time limit, together well inside the suites' beforeAll limit (60 s),
   * so a slow start fails and cleans up instead of leaving servers behind a timed-out hook.
   */
  static async start(size = 3): Promise<TestCluster> {
    const missing = missingTool();
    if (missing) throw new Error(missing);
    const nodes: RedisServer[] = [];
    const cluster = new TestCluster(nodes);
    try {
      const started = await Promise.allSettled(Array.from({ length: size }, () => startNode()));
      for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value);
      const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 15_000 });
      await cluster.untilSettled();
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** `connection` for engine objects: our own cluster client, opened from the startup nodes. */
  connection(): ClusterConnectionOptions {
    return { cluster: { nodes: this.ports.map((port) => ({ host: '127.0.0.1', port })) } };
  }

  /** An ioredis Cluster client for assertions (closed by stop()). */
  client(): Cluster {
    const client = new Cluster(
      this.ports.map((port) => ({ host: '127.0.0.1', port })),
      { redisOptions: { maxRetriesPerRequest: 3 } },
    );
    this.extraClients.add(client);
    return client;
  }

  /** A plain client to one node (closed by stop()). */
  node(port: number): Redis {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 3 });
    this.extraClients.add(client);
    return client;
  }

  /** The port of the master serving `key` (by its slot, hash tag and all). */
  async portOfKey(key: string): Promise<number> {
    const admin = this.node(this.ports[0]);
    try {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return Number(range[2][1]);
    } finally {
      await this.forget(admin);
    }
  }

  /** Keys matching `pattern` on each node, by port (SCAN does not cross nodes). */
  async keysByNode(pattern: string): Promise<Record<number, string[]>> {
    const out: Record<number, string[]> = {};
    for (const port of this.ports) {
      const client = this.node(port);
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          keys.push(...batch);
          cursor = next;
        } while (cursor !== '0');
        out[port] = keys.sort();
      } finally {
        await this.forget(client);
      }
    }
    return out;
  }

  /** Runs `command` on every master (SCRIPT FLUSH, SCRIPT EXISTS, ...), answers by port. */
  async onEveryNode(...command: string[]): Promise<Record<number, unknown>> {
    const out: Record<number, unknown> = {};
    for (const port of this.ports) {
      const client = this.node(port);
      try {
        out[port] = await client.call(command[0], ...command.slice(1));
      } finally {
        await this.forget(client);
      }
    }
    return out;
  }

  async forget(client: Cluster | Redis): Promise<void> {
    this.extraClients.delete(client);
    if (client.status !== 'end') client.disconnect();
  }

  /** Every node agrees the cluster is ok and knows every master's slots (no MOVED storms). */
  private async untilSettled(): Promise<void> {
    const probes = this.ports.map((port) => this.node(port));
    try {
      await until(
        'every node to report cluster_state:ok with all masters known',
        async () =>
          Promise.all(
            probes.map(async (probe) => {
              const info = (await probe.call('CLUSTER', 'INFO')) as string;
              const slots = (await probe.call('CLUSTER', 'SLOTS')) as unknown[];
              return info.includes('cluster_state:ok') && slots.length === this.nodes.length;
            }),
          ),
        (oks) => oks.every(Boolean),
        15_000,
      );
    } finally {
      for (const probe of probes) await this.forget(probe);
    }
  }

  /** Kills every server by pid and removes their directories. */
  async stop(): Promise<void> {
    for (const client of [...this.extraClients]) await this.forget(client);
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}

/** One sentence saying which tool is missing and how to get it, or undefined when both are there. */
export function missingTool(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const install = {
    'redis-server': 'apt-get install redis-server',
    'redis-cli': 'apt-get install redis-tools, which comes with redis-server',
  };
  for (const [tool, how] of Object.entries(install)) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore', env }).status !== 0) {
      return `The Redis Cluster tests need ${tool} on the PATH (on Debian: ${how}).`;
    }
  }
  return undefined;
}

/** A cluster-enabled redis-server on free ports (its own and its cluster bus port). */
async function startNode(): Promise<RedisServer> {
  const port = await freePort();
  let busPort = await freePort();
  while (busPort === port) busPort = await freePort();
  return RedisServer.start({
    port,
    args: (dir) => ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', path.join(dir, 'nodes.conf')],
  });
}
