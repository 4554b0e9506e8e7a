import type { Cluster, Redis } from 'ioredis';
import { keySlot } from './cluster-slot.js';

/**
 * The master of a Redis Cluster that holds `key`, for the commands that act on one node rather
 * than on a key (CLIENT LIST, SCAN): every key of a queue lives in the slot of its hash tag, so
 * that node sees all of them, and the only blocking connection of each worker.
 */
export function nodeForKey(cluster: Cluster, key: string): Redis {
  const slot = keySlot(key);
  const masters = cluster.nodes('master');
  const owner = cluster.slots[slot]?.[0];
  const node = masters.find((n) => `${n.options.host}:${n.options.port}` === owner);
  if (!node) {
    const known = masters.map((n) => `${n.options.host}:${n.options.port}`).join(', ') || 'none yet';
    throw new Error(
      `no master of the Redis Cluster (${known}) is known to serve slot ${slot} of ${key}; try again once the cluster is ready`,
    );
  }
  return node;
}
