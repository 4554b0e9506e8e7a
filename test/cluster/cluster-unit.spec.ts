// lib/engine/cluster.ts without a cluster: telling cluster clients apart, the hash-tag rule,
// cluster connection options, duplicates for blocking commands, and messages naming the nodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import {
  checkClusterBase,
  checkParentSlot,
  checkQueueForCluster,
  isClusterClient,
  isClusterConnection,
  isClusterOptions,
  keySlot,
} from '../../lib/engine/connection/cluster.js';
import {
  describeServer,
  duplicateConnection,
  isRedisClient,
  openConnection,
  reconnectDelayMs,
} from '../../lib/engine/connection/connection.js';
import { ConveyorConnectionError, ConveyorValidationError, Queue, QueueEvents, Worker } from '../../lib/index.js';
import { freePort } from '../../scripts/redis-server.mjs';
import { within } from '../support/wait.js';
import { missingTool } from './cluster-support.js';

const NODES = [{ host: '127.0.0.1', port: 7000 }];

describe('cluster.ts', () => {
  describe('telling a cluster client by its shape', () => {
    const cluster = new Cluster(NODES, { lazyConnect: true });
    const plain = new Redis({ lazyConnect: true });
    afterAll(() => {
      cluster.disconnect();
      plain.disconnect();
    });

    it('knows an ioredis Cluster, and a look-alike from another copy of ioredis', () => {
      expect(isClusterClient(cluster)).toBe(true);
      expect(isRedisClient(cluster)).toBe(true);
      const lookAlike = { isCluster: true, nodes: () => [], duplicate: () => lookAlike, status: 'wait', options: {} };
      expect(isClusterClient(lookAlike)).toBe(true);
    });

    it('does not take a plain client, options or half a shape for a cluster', () => {
      expect(isClusterClient(plain)).toBe(false);
      expect(isRedisClient(plain)).toBe(true);
      for (const value of [
        null,
        undefined,
        'redis://x',
        { host: 'x' },
        { isCluster: true },
        { isCluster: 'yes', nodes() {}, duplicate() {} },
      ]) {
        expect([value, isClusterClient(value)]).toEqual([value, false]);
      }
    });

    it('recognises cluster connection options', () => {
      expect(isClusterOptions({ cluster: { nodes: NODES } })).toBe(true);
      expect(isClusterConnection({ cluster: { nodes: NODES } })).toBe(true);
      expect(isClusterConnection(cluster)).toBe(true);
      expect(isClusterOptions(cluster)).toBe(false);
      expect(isClusterConnection({ host: 'x', port: 1 })).toBe(false);
      expect(isClusterConnection(plain)).toBe(false);
      expect(isClusterConnection(undefined)).toBe(false);
    });
  });

  describe('the hash-tag rule', () => {
    it('accepts a tag in the prefix, in the name, or one spanning both', () => {
      expect(() => checkClusterBase('{app}:emails:', 'Queue')).not.toThrow();
      expect(() => checkClusterBase('bull:{emails}:', 'Queue')).not.toThrow();
      expect(() => checkClusterBase('pfx:x{y}z:', 'Queue')).not.toThrow();
      // prefix "{a" and name "b}": the tag is "a:b", closed inside the base, so every key shares it
      expect(() => checkClusterBase('{a:b}:', 'Queue')).not.toThrow();
    });

    it('refuses a base whose keys would spread, naming two keys, their slots and the fix', () => {
      let error: Error | undefined;
      try {
        checkClusterBase('bull:emails:', 'Queue "emails" (prefix "bull")');
      } catch (err) {
        error = err as Error;
      }
      expect(error).toBeInstanceOf(ConveyorValidationError);
      expect(error!.message).toBe(
        `Queue "emails" (prefix "bull") cannot run on a Redis Cluster: its keys have no hash tag, so they land in different slots ` +
          `("bull:emails:wait" in slot ${keySlot('bull:emails:wait')}, "bull:emails:meta" in slot ${keySlot('bull:emails:meta')}) and its scripts would fail. ` +
          'Put a hash tag ({...}) in the prefix or the queue name, e.g. prefix "{bull}" or a queue named "{emails}"; ' +
          'queues that share a flow need the same tag (a tagged prefix does that).',
      );
      expect(keySlot('bull:emails:wait')).not.toBe(keySlot('bull:emails:meta'));
    });

    it('treats an empty tag, or one not closed inside the base, as no tag (as Redis does)', () => {
      for (const base of ['bull:{}emails:', '{}{x}:q:', 'bull:{emails:', 'bull:emails}:']) {
        expect(() => checkClusterBase(base, 'Queue')).toThrow(/cannot run on a Redis Cluster/);
      }
    });

    it('checks only when the connection leads to a cluster', () => {
      expect(() => checkQueueForCluster({ host: 'x' }, 'bull', 'emails', 'Queue')).not.toThrow();
      expect(() => checkQueueForCluster(undefined, 'bull', 'emails', 'Queue')).not.toThrow();
      expect(() => checkQueueForCluster({ cluster: { nodes: NODES } }, 'bull', 'emails', 'Worker')).toThrow(
        /^Worker "emails" \(prefix "bull"\) cannot run/,
      );
      expect(() => checkQueueForCluster({ cluster: { nodes: NODES } }, '{bull}', 'emails', 'Worker')).not.toThrow();
    });

    it("checks a parent's slot only on a cluster", () => {
      const cluster = new Cluster(NODES, { lazyConnect: true });
      try {
        expect(() => checkParentSlot(cluster, '{a}:kids:', '{a}:parents')).not.toThrow();
        expect(() => checkParentSlot(cluster, 'x:{a}:', 'y:{a}')).not.toThrow();
        expect(() => checkParentSlot(cluster, '{a}:kids:', '{b}:parents')).toThrow(
          `opts.parent.queue "{b}:parents" is in hash slot ${keySlot('b')} but this queue "{a}:kids" is in slot ${keySlot('a')}`,
        );
        expect(() => checkParentSlot({ host: 'x' }, '{a}:kids:', '{b}:parents')).not.toThrow();
      } finally {
        cluster.disconnect();
      }
    });

    it('refuses untagged queues in every constructor, before a connection is made', () => {
      const connection = { cluster: { nodes: NODES } };
      expect(() => new Queue('plain', { connection })).toThrow(/^Queue "plain" \(prefix "bull"\) cannot run on a Redis Cluster/);
      expect(() => new Worker('plain', null, { connection, prefix: 'app' })).toThrow(/^Worker "plain" \(prefix "app"\) cannot run/);
      expect(() => new QueueEvents('plain', { connection })).toThrow(/^QueueEvents "plain" \(prefix "bull"\) cannot run/);
    });
  });

  describe('cluster connection options', () => {
    it.each([
      [{ cluster: 'nodes' }, 'connection.cluster must be { nodes, options? }, got "nodes"'],
      [{ cluster: { nodes: [] } }, 'connection.cluster.nodes must be a non-empty array of startup nodes, got []'],
      [{ cluster: {} }, 'connection.cluster.nodes must be a non-empty array of startup nodes, got undefined'],
      [{ cluster: { nodes: [null] } }, 'connection.cluster.nodes[0] must be { host, port }, a port or "host:port", got null'],
      [{ cluster: { nodes: [7000, true] } }, 'connection.cluster.nodes[1] must be { host, port }, a port or "host:port", got true'],
      [{ cluster: { nodes: NODES, options: 5 } }, 'connection.cluster.options must be ioredis ClusterOptions (an object), got 5'],
      [{ cluster: { nodes: NODES, redisOptions: {} } }, 'connection.cluster.redisOptions is not a known option (nodes, options)'],
    ])('refuses %j with a clear error', (connection, message) => {
      expect(() => new Queue('{q}', { connection: connection as never })).toThrow(new ConveyorValidationError(message));
    });

    it('opens a cluster client with our reconnect strategy, user options winning, and names its nodes', async () => {
      const held = openConnection({
        cluster: {
          nodes: [{ host: '127.0.0.1', port: 7000 }, 'redis://:secret@10.0.0.2:7001', 7002],
          options: { lazyConnect: true, scaleReads: 'all', redisOptions: { password: 'secret', maxRetriesPerRequest: 3 } },
        },
      });
      try {
        expect(held.owned).toBe(true);
        const client = held.client as Cluster;
        expect(isClusterClient(client)).toBe(true);
        expect(client.options.scaleReads).toBe('all');
        expect(client.options.redisOptions).toMatchObject({ password: 'secret', maxRetriesPerRequest: 3 });
        expect(client.options.clusterRetryStrategy!(1)).toBe(reconnectDelayMs(1)); // ours, not ioredis' default
        expect(describeServer(client)).toBe('cluster 127.0.0.1:7000, 10.0.0.2:7001, 127.0.0.1:7002');
        expect(describeServer(client)).not.toContain('secret');
      } finally {
        held.client.disconnect();
      }
    });

    it('duplicates a cluster for blocking commands: same nodes and options, its own name, no retry limit', () => {
      const user = new Cluster(NODES, {
        lazyConnect: true,
        scaleReads: 'slave',
        redisOptions: { password: 'pw', maxRetriesPerRequest: 2 },
      });
      const copy = duplicateConnection(user, { connectionName: 'bull:cXVldWU=', maxRetriesPerRequest: null }) as Cluster;
      try {
        expect(copy).not.toBe(user);
        expect(isClusterClient(copy)).toBe(true);
        expect(copy.options.scaleReads).toBe('slave');
        expect(copy.options.redisOptions).toMatchObject({ password: 'pw', connectionName: 'bull:cXVldWU=', maxRetriesPerRequest: null });
        // the user's client keeps its own settings
        expect(user.options.redisOptions).toEqual({ password: 'pw', maxRetriesPerRequest: 2 });
        expect(copy.status).toBe('wait');
      } finally {
        copy.disconnect();
        user.disconnect();
      }
    });

    // (ioredis leaves 2 s timers behind each failed node connect, so Jest may note that it did not
    // exit at once after this file; they are ioredis' own and end by themselves)
    it('reports an unreachable cluster by its startup nodes, within the connect timeout', async () => {
      const port = await freePort();
      const queue = new Queue('{q}', {
        connection: { cluster: { nodes: [{ host: '127.0.0.1', port }], options: { redisOptions: { connectTimeout: 300 } } } },
      });
      try {
        // the bound is the feature: it gives up after the connect timeout (the message says so),
        // where the offline queue would hold the command through ~10 s of reconnects
        const error = await within(
          queue.add('j', {}).catch((err: Error) => err),
          10 * 300,
          'queue.add',
        );
        expect(error).toBeInstanceOf(ConveyorConnectionError);
        expect((error as Error).message).toMatch(
          new RegExp(`^Redis at cluster 127\\.0\\.0\\.1:${port} is unreachable \\(no connection within 300 ms\\)`),
        );
      } finally {
        await queue.close();
      }
    });
  });

  it('the cluster test helper names a missing redis-cli in one clear sentence', () => {
    // a PATH with redis-server and nothing else
    const dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-no-cli-'));
    try {
      const server = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
      symlinkSync(server, path.join(dir, 'redis-server'));
      expect(missingTool({ PATH: dir })).toBe(
        'The Redis Cluster tests need redis-cli on the PATH (on Debian: apt-get install redis-tools, which comes with redis-server).',
      );
      expect(missingTool({ PATH: '' })).toBe(
        'The Redis Cluster tests need redis-server on the PATH (on Debian: apt-get install redis-server).',
      );
      expect(missingTool()).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
