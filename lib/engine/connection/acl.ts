import { DEFAULT_PREFIX } from '../core/defaults.js';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import { checkPrefix } from '../core/validation.js';

/**
 * Every Redis command Conveyor sends, for a Redis ACL user that may run nothing else. Scripts run
 * with their caller's permissions, so the commands the Lua scripts call are here too (a unit test
 * checks that against lua/); test/security/acl.spec.ts runs the engine suites as such a user and
 * fails on any denial. No pub/sub: the engine uses no channels.
 */
export const ACL_COMMANDS: readonly string[] = [
  // connecting: ioredis's ready check and the eviction-policy check read INFO; blocking
  // connections name themselves (CLIENT SETNAME); close() says QUIT; health checks PING
  'info',
  'ping',
  'client|setname',
  'quit',
  // getWorkers/getQueueEvents read the connection names; removeOrphanedJobs scans the queue's keys
  'client|list',
  'scan',
  'type',
  // every atomic operation is a script (EVAL only when the server lacks the cached copy)
  'evalsha',
  'eval',
  // workers wait on the marker, QueueEvents on the events stream
  'bzpopmin',
  'xread',
  // reads and writes, from scripts and from getters outside them
  'del',
  'exists',
  'get',
  'hdel',
  'hexists',
  'hget',
  'hgetall',
  'hincrby',
  'hkeys',
  'hlen',
  'hmget',
  'hscan',
  'hset',
  'incr',
  'incrby',
  'lindex',
  'llen',
  'lpos',
  'lpush',
  'lrange',
  'lrem',
  'ltrim',
  'persist',
  'pexpire',
  'pttl',
  'rename',
  'rpoplpush',
  'rpush',
  'sadd',
  'scard',
  'sismember',
  'smembers',
  'srem',
  'sscan',
  'set',
  'xadd',
  'xrevrange',
  'xtrim',
  'zadd',
  'zcard',
  'zcount',
  'zpopmin',
  'zrange',
  'zrangebyscore',
  'zrem',
  'zremrangebyrank',
  'zrevrange',
  'zrevrangebyscore',
  'zscore',
  // getters that read several keys consistently
  'multi',
  'exec',
];

/** Redis glob characters: a prefix holding one must match only itself in the key pattern. */
const GLOB = /[*?[\]\\]/g;

/**
 * The ACL rules for a user that runs Conveyor on the queues under `prefix` and touches nothing
 * else: its keys (`~<prefix>:*`), no channels, only the commands above. Prepend the user's state
 * and password: `ACL SETUSER conveyor on >password ${aclRulesFor('bull')}` (or, in an ACL file,
 * `user conveyor on >password ...`). A `db` other than 0 also needs `+select`.
 */
export function aclRulesFor(prefix: string = DEFAULT_PREFIX): string {
  checkPrefix(prefix);
  if (/\s/.test(prefix)) {
    throw new ConveyorValidationError(`prefix ${show(prefix)} contains whitespace and cannot be written as an ACL key pattern`);
  }
  const pattern = `~${prefix.replace(GLOB, (c) => `\\${c}`)}:*`;
  return ['resetkeys', pattern, 'resetchannels', '-@all', ...ACL_COMMANDS.map((c) => `+${c}`)].join(' ');
}
