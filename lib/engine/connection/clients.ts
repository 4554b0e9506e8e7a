import type { QueueKeys } from '../core/keys.js';
import { nodeForKey } from './cluster-node.js';
import { isClusterClient } from './cluster.js';
import type { RedisClient } from './connection.js';

/**
 * Who is connected to a queue, read from CLIENT LIST as BullMQ does (wire-format §1.4): every
 * worker names its blocking connection `<prefix>:<base64(queue)>` (`...:w:<name>` when the worker
 * has a name) and every QueueEvents its reading one `<prefix>:<base64(queue)>:qe`. BullMQ's and
 * Conveyor's do the same, so each engine's queue lists the other's workers too.
 */

/** One connection as CLIENT LIST describes it; `name` is the queue's name, `rawname` the client name. */
export type ClientInfo = Record<string, string>;

export type ClientKind = 'worker' | 'queueEvents';

/** The client name a worker's blocking connection carries (BullMQ's convention). */
export function workerClientName(prefix: string, queueName: string, workerName?: string): string {
  const base = `${prefix}:${base64(queueName)}`;
  return workerName ? `${base}:w:${workerName}` : base;
}

/** What a QueueEvents' client name ends with (BullMQ exports it under this name). */
export const QUEUE_EVENT_SUFFIX = ':qe';

/** The client name of a QueueEvents' reading connection. */
export function queueEventsClientName(prefix: string, queueName: string): string {
  return `${prefix}:${base64(queueName)}${QUEUE_EVENT_SUFFIX}`;
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** What a server that has no CLIENT command answers to CLIENT LIST. */
const NO_CLIENT_COMMAND = /ERR unknown command ['`]\s*client\s*['`]/i;

/** The one entry getWorkers/getQueueEvents give there, as BullMQ's do (so counting them gives 1). */
export const NO_CLIENT_LIST = 'GCP does not support client list';

/** Whether a client name is one of `kind` for the queue (a named worker matches by prefix). */
function matches(rawname: string, kind: ClientKind, keys: QueueKeys): boolean {
  if (kind === 'queueEvents') return rawname === queueEventsClientName(keys.prefix, keys.queueName);
  const base = workerClientName(keys.prefix, keys.queueName);
  return rawname === base || rawname.startsWith(`${base}:w:`);
}

/** CLIENT LIST's text: one line per connection, `field=value` pairs separated by spaces. */
export function parseClientList(text: string): Record<string, string>[] {
  const clients: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const client: Record<string, string> = {};
    for (const pair of line.trim().split(' ')) {
      const at = pair.indexOf('=');
      if (at > 0) client[pair.slice(0, at)] = pair.slice(at + 1);
    }
    clients.push(client);
  }
  return clients;
}

/**
 * The connections of one kind for the queue, shaped as BullMQ's getWorkers/getQueueEvents give
 * them: CLIENT LIST's fields, `name` = the queue name and `rawname` = the client name.
 */
export async function listClients(client: RedisClient, keys: QueueKeys, kind: ClientKind): Promise<ClientInfo[]> {
  let text: string;
  try {
    text = await clientListText(client, keys);
  } catch (err) {
    // a server without CLIENT (Google Memorystore, a renamed command): BullMQ's placeholder answer
    if (err instanceof Error && NO_CLIENT_COMMAND.test(err.message)) return [{ name: NO_CLIENT_LIST }];
    throw err;
  }
  const found: ClientInfo[] = [];
  for (const info of parseClientList(text)) {
    const rawname = info.name;
    if (!rawname || !matches(rawname, kind, keys)) continue;
    found.push({ ...info, name: keys.queueName, rawname });
  }
  return found;
}

/**
 * On a cluster, the node of the queue's slot: a worker's blocking connection blocks there only (so
 * a worker is listed once it runs; a cluster client reaches a node with its first command to it).
 */
async function clientListText(client: RedisClient, keys: QueueKeys): Promise<string> {
  const node = isClusterClient(client) ? nodeForKey(client, keys.meta) : client;
  return (await node.client('LIST')) as string;
}
