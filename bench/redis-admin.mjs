// @ts-check
// The harness's own Redis connection: INFO snapshots (commandstats, memory), the blocked-client
// probe of the pickup case, and removal of the keys of every queue the benchmark created.
import { Redis } from 'ioredis';
import { sleep } from './waiting.mjs';

/** Script invocations as commandstats names them. */
const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * Calls per command name. Commands a script runs (redis.call) are counted too: that is what
 * commandstats reports.
 * @typedef {Map<string, number>} CommandCounts
 */

/** @typedef {{ host: string, port: number, username?: string, password?: string, db?: number }} RedisTarget */

/**
 * Connection options for a redis:// URL (both engines get the same ones).
 * @param {string} url
 * @returns {RedisTarget}
 */
export function targetFromUrl(url) {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`--redis-url must be a redis:// URL, got ${u.protocol}//…`);
  /** @type {RedisTarget} */
  const target = { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
  if (u.username) target.username = decodeURIComponent(u.username);
  if (u.password) target.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db) target.db = Number(db);
  return target;
}

export class RedisAdmin {
  /**
   * @param {RedisTarget} target
   * @param {{ ownsServer: boolean }} how  true: the harness started this server and nothing else
   *   uses it, so clearing up may empty the whole database
   */
  constructor(target, { ownsServer }) {
    this.client = new Redis({ ...target, maxRetriesPerRequest: 3, connectionName: 'conveyor-bench-admin' });
    this.ownsServer = ownsServer;
  }

  /** @param {string} section */
  async info(section) {
    /** @type {Record<string, string>} */
    const fields = {};
    for (const line of (await this.client.info(section)).split(/\r?\n/)) {
      const at = line.indexOf(':');
      if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1);
    }
    return fields;
  }

  /** @returns {Promise<CommandCounts>} */
  async commandCounts() {
    /** @type {CommandCounts} */
    const counts = new Map();
    for (const [key, value] of Object.entries(await this.info('commandstats'))) {
      const calls = /(?:^|,)calls=(\d+)/.exec(value);
      if (key.startsWith('cmdstat_') && calls) counts.set(key.slice('cmdstat_'.length), Number(calls[1]));
    }
    return counts;
  }

  async usedMemory() {
    return Number((await this.info('memory')).used_memory);
  }

  /**
   * Waits (at most `timeoutMs`) until used_memory stops falling. Redis shrinks the keyspace's
   * hash table in its cron after many keys were deleted (for 100k keys a 1 MB bucket array):
   * a measurement that starts before that would not pay for growing the table again.
   * @param {number} timeoutMs
   */
  async waitForMemoryToSettle(timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    let previous = await this.usedMemory();
    for (;;) {
      await sleep(300);
      const now = await this.usedMemory();
      if (previous - now < 32 * 1024 || Date.now() > deadline) return now;
      previous = now;
    }
  }

  async serverVersion() {
    return (await this.info('server')).redis_version ?? 'unknown';
  }

  /**
   * True when a connection named `clientName` is blocked in BZPOPMIN: the worker is idle and
   * waiting for its queue's marker.
   * @param {string} clientName
   */
  async isBlockedOnMarker(clientName) {
    const list = /** @type {string} */ (await this.client.call('CLIENT', 'LIST'));
    return list.split('\n').some((line) => {
      const f = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return f.name === clientName && f.cmd === 'bzpopmin' && (f.flags ?? '').includes('b');
    });
  }

  /**
   * Polls until the worker connection `clientName` blocks on its marker (the worker went idle).
   * @param {string} clientName
   * @param {number} timeoutMs
   */
  async waitUntilBlocked(clientName, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.isBlockedOnMarker(clientName))) {
      if (Date.now() > deadline) {
        throw new Error(`the worker's connection ${clientName} did not block on its marker within ${timeoutMs} ms`);
      }
      await sleep(1);
    }
  }

  /**
   * Deletes every key of these queues: on the harness's own server FLUSHDB SYNC (a million jobs of a
   * deep case go in a second), elsewhere the queues' keys one SCAN at a time. Synchronous either
   * way: memory is freed before the next measurement.
   * @param {string} prefix
   * @param {string[]} queueNames
   */
  async removeQueues(prefix, queueNames) {
    if (queueNames.length === 0) return;
    if (this.ownsServer) {
      await this.client.flushdb('SYNC');
      return;
    }
    for (const name of queueNames) await this.removeQueue(prefix, name);
  }

  /**
   * @param {string} prefix
   * @param {string} queueName
   */
  async removeQueue(prefix, queueName) {
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${prefix}:${queueName}:*`, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < keys.length; i += 500) await this.client.del(...keys.slice(i, i + 500));
    } while (cursor !== '0');
  }

  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * What happened on the server between two snapshots, less the one INFO call that took the first
 * snapshot (commandstats counts a command once it has run, so the second INFO is not included).
 * @param {CommandCounts} before
 * @param {CommandCounts} after
 */
export function commandDelta(before, after) {
  /** @type {CommandCounts} */
  const delta = new Map();
  for (const [name, calls] of after) {
    const d = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) delta.set(name, d);
  }
  let commands = 0;
  let scripts = 0;
  for (const [name, calls] of delta) {
    commands += calls;
    if (SCRIPT_COMMANDS.has(name)) scripts += calls;
  }
  return { commands, scripts, byCommand: delta };
}

/** @typedef {ReturnType<typeof commandDelta>} CommandDelta */
