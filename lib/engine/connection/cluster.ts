import { Cluster, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConveyorValidationError } from '../core/errors.js';
import { QUEUE_KEY } from '../core/keys.js';
import { show } from '../core/show.js';
import { hashTag, keySlot } from './cluster-slot.js';

/**
 * Redis Cluster support: cluster clients told apart from plain ones, cluster connections opened
 * and duplicated, and the hash-tag rule checked before anything reaches Redis. A script touches
 * keys it was not given (job keys, locks, parent keys), and on a cluster they must all live in the
 * slot of its first key; only a hash tag in the prefix or the queue name makes that so
 * (wire-format §1.1).
 */

// slot arithmetic lives beside the flow checks that came first; one implementation for both
export { CLUSTER_SLOTS, crc16, hashTag, keySlot } from './cluster-slot.js';

/**
 * `connection` for a cluster Conveyor opens (and closes) itself: the startup nodes and ioredis'
 * ClusterOptions, e.g. `{ cluster: { nodes: [{ host: '10.0.0.1', port: 7000 }], options: {
 * redisOptions: { password } } } }`. An ioredis `Cluster` instance may be passed instead.
 */
export interface ClusterConnectionOptions {
  cluster: {
    /** Startup nodes (`{ host, port }`, a port, or a `host:port` string); one reachable node is enough. */
    nodes: ClusterNode[];
    options?: ClusterOptions;
  };
}

/**
 * An ioredis Cluster client, told by its shape: other copies or major versions of ioredis fail an
 * instanceof check, and a Cluster has `options` and `status` just like a plain client.
 */
export function isClusterClient(value: unknown): value is Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isCluster?: unknown }).isCluster === true &&
    typeof (value as { nodes?: unknown }).nodes === 'function' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
  );
}

export function isClusterOptions(value: unknown): value is ClusterConnectionOptions {
  // a plain ioredis client has a `cluster` command method, so rule clients out by shape first
  return (
    typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate !== 'function' && 'cluster' in value
  );
}

/** Whether `connection` (as users pass it) leads to a Redis Cluster. */
export function isClusterConnection(value: unknown): boolean {
  return isClusterClient(value) || isClusterOptions(value);
}

function checkClusterOptions(value: ClusterConnectionOptions): void {
  const { cluster } = value;
  if (typeof cluster !== 'object' || cluster === null || Array.isArray(cluster)) {
    throw new ConveyorValidationError(`connection.cluster must be { nodes, options? }, got ${show(cluster)}`);
  }
  for (const key of Object.keys(cluster)) {
    if (key !== 'nodes' && key !== 'options')
      throw new ConveyorValidationError(`connection.cluster.${key} is not a known option (nodes, options)`);
  }
  if (!Array.isArray(cluster.nodes) || cluster.nodes.length === 0) {
    throw new ConveyorValidationError(`connection.cluster.nodes must be a non-empty array of startup nodes, got ${show(cluster.nodes)}`);
  }
  cluster.nodes.forEach((node, i) => {
    const ok =
      (typeof node === 'string' && node.length > 0) ||
      (typeof node === 'number' && Number.isInteger(node) && node > 0) ||
      (typeof node === 'object' && node !== null && !Array.isArray(node));
    if (!ok)
      throw new ConveyorValidationError(`connection.cluster.nodes[${i}] must be { host, port }, a port or "host:port", got ${show(node)}`);
  });
  const { options } = cluster;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ConveyorValidationError(`connection.cluster.options must be ioredis ClusterOptions (an object), got ${show(options)}`);
  }
}

/** How each cluster we opened was described to us, for error messages (no passwords in there). */
const startupNodes = new WeakMap<Cluster, string>();

function describeNode(node: ClusterNode): string {
  if (typeof node === 'string') return node.replace(/^.*@/, '');
  if (typeof node === 'number') return `127.0.0.1:${node}`;
  return `${node.host ?? '127.0.0.1'}:${node.port ?? 6379}`;
}

/**
 * Opens a cluster client. `defaults` are our settings for a plain client (fast reconnects, bounded
 * retries); on a cluster the reconnect strategy is the cluster's and the rest applies per node.
 */
export function openCluster(value: ClusterConnectionOptions, defaults: RedisOptions, extra: RedisOptions = {}): Cluster {
  checkClusterOptions(value);
  const { nodes, options = {} } = value.cluster;
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...perNode } = { ...defaults, ...extra };
  const client = new Cluster(nodes, {
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue,
    lazyConnect,
    ...options,
    redisOptions: { ...perNode, ...options.redisOptions },
  });
  startupNodes.set(client, nodes.map(describeNode).join(', '));
  return client;
}

/**
 * Our own copy of a cluster client (for blocking commands): same nodes and options, `extra`
 * applied to every node connection, our reconnect strategy for the cluster.
 */
export function duplicateCluster(client: Cluster, extra: RedisOptions): Cluster {
  const { retryStrategy, ...perNode } = extra;
  const options = client.options ?? {};
  const copy = client.duplicate(undefined, {
    ...options,
    ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
    redisOptions: { ...options.redisOptions, ...perNode },
  });
  const described = startupNodes.get(client);
  if (described) startupNodes.set(copy, described);
  return copy;
}

/** "cluster <nodes>" for messages: the startup nodes we were given, else the masters known now. */
export function describeCluster(client: Cluster): string {
  const known = startupNodes.get(client);
  if (known) return `cluster ${known}`;
  const masters = client.nodes('master').map((node) => `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`);
  return masters.length > 0 ? `cluster ${masters.join(', ')}` : 'cluster (startup nodes unknown)';
}

/**
 * Throws unless every key of the queue whose keys start with `base` (`<prefix>:<queue>:`) falls in
 * one slot, which takes a hash tag inside the base. `what` names the queue in the message.
 */
export function checkClusterBase(base: string, what: string): void {
  if (hashTag(base) !== undefined) return;
  const wait = base + QUEUE_KEY.wait;
  const spread =
    [QUEUE_KEY.meta, QUEUE_KEY.events, QUEUE_KEY.marker, QUEUE_KEY.active, '1']
      .map((s) => base + s)
      .find((k) => keySlot(k) !== keySlot(wait)) ?? base + QUEUE_KEY.meta;
  throw new ConveyorValidationError(
    `${what} cannot run on a Redis Cluster: its keys have no hash tag, so they land in different slots ` +
      `("${wait}" in slot ${keySlot(wait)}, "${spread}" in slot ${keySlot(spread)}) and its scripts would fail. ` +
      'Put a hash tag ({...}) in the prefix or the queue name, e.g. prefix "{bull}" or a queue named "{emails}"; ' +
      'queues that share a flow need the same tag (a tagged prefix does that).',
  );
}

/**
 * The check Queue, Worker and QueueEvents run in their constructors: nothing unless `connection`
 * leads to a cluster, else the queue must keep all its keys in one slot.
 */
export function checkQueueForCluster(connection: unknown, prefix: string, queueName: string, kind: string): void {
  if (!isClusterConnection(connection)) return;
  checkClusterBase(`${prefix}:${queueName}:`, `${kind} ${show(queueName)} (prefix ${show(prefix)})`);
}

/**
 * On a cluster, a job added with `opts.parent` must share its parent's slot: the add script
 * records it in the parent's dependencies. Names both queues and their slots.
 */
export function checkParentSlot(client: unknown, base: string, parentQueueKey: string): void {
  if (!isClusterClient(client)) return;
  const own = keySlot(base);
  const parents = keySlot(`${parentQueueKey}:`);
  if (own === parents) return;
  throw new ConveyorValidationError(
    `opts.parent.queue ${show(parentQueueKey)} is in hash slot ${parents} but this queue ${show(base.slice(0, -1))} is in slot ${own}: ` +
      'on a Redis Cluster a job and its parent must share a slot; give both queues the same hash tag (e.g. a prefix like "{flows}")',
  );
}
