import type { EventEmitter } from 'node:events';
import { describeServer, isRedisReply, type RedisClient } from './connection.js';

/** `code` of the process warning, so apps can filter it (`process.on('warning', ...)`). */
export const EVICTION_POLICY_WARNING = 'CONVEYOR_EVICTION_POLICY';

/** One check per server and process, from the first client of it that became ready. */
const checks = new Map<string, Promise<void>>();
/** Clients with our 'ready' listener: one each, however many queues share a client. */
const watched = new WeakSet<object>();

/**
 * Reads the server's maxmemory-policy once `client` is ready (INFO, which the engine's ACL allows;
 * CONFIG is an admin command) and warns once per server if it is not `noeviction`.
 */
export function watchEvictionPolicy(client: RedisClient): void {
  if (watched.has(client)) return;
  watched.add(client);
  const onReady = () => startCheck(client);
  if (client.status === 'ready') onReady();
  else (client as unknown as EventEmitter).once('ready', onReady);
}

/** Settles when the check for `client`'s server is over (at once if none began). */
export function evictionPolicyChecked(client: RedisClient): Promise<void> {
  return checks.get(describeServer(client)) ?? Promise.resolve();
}

function startCheck(client: RedisClient): void {
  const server = describeServer(client);
  if (checks.has(server)) return;
  const check = readPolicy(client).then(
    (policy) => {
      if (policy !== undefined && policy !== 'noeviction') warn(server, policy);
    },
    (err: unknown) => {
      // a refusal (say, an ACL without INFO) will not change; a dropped connection may: try again
      // on this client's next ready
      if (isRedisReply(err)) return;
      checks.delete(server);
      (client as unknown as EventEmitter).once('ready', () => startCheck(client));
    },
  );
  checks.set(server, check);
}

async function readPolicy(client: RedisClient): Promise<string | undefined> {
  const info = await client.info('memory');
  // servers that do not report it (some managed services) are not warned about
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

function warn(server: string, policy: string): void {
  process.emitWarning(
    `Redis at ${server} has maxmemory-policy "${policy}"; Conveyor needs "noeviction". ` +
      'Under any other policy a Redis that reaches maxmemory deletes keys to make room: job hashes ' +
      'and queue entries (jobs lost without a trace) and job locks, which carry a TTL and are what ' +
      'volatile-* policies evict first (another worker then runs a job that is still running). ' +
      'With noeviction Redis refuses writes instead, and the engine reports them. ' +
      'Set `maxmemory-policy noeviction` in redis.conf (or CONFIG SET).',
    { type: 'ConveyorWarning', code: EVICTION_POLICY_WARNING },
  );
}
