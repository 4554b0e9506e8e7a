// A queue's keyspace as comparable data: two queues brought to the same state by different
// engines must snapshot the same once names and clock values are masked.
import type { Redis } from 'ioredis';
import { sortKeys } from './support.js';

/** 13-digit millisecond timestamps (this century), anywhere in a text. */
const MS = /\b1\d{12}\b/g;

export interface SnapshotOptions {
  /** Queue names to cover (all keys `<prefix>:<name>:*`), each replaced by its label. */
  queues: Record<string, string>;
  prefix?: string;
  /** Keys (after masking names) whose content is not compared, only their presence. */
  presenceOnly?: string[];
  /** Keys (after masking names) left out altogether. */
  ignore?: string[];
}

/** Every key of the queues with its type, TTL presence and masked content. */
export async function snapshot(redis: Redis, opts: SnapshotOptions): Promise<Record<string, unknown>> {
  const prefix = opts.prefix ?? 'bull';
  const rename = (text: string): string => {
    let out = text;
    for (const [name, label] of Object.entries(opts.queues)) out = out.split(`${prefix}:${name}`).join(label);
    return out.replace(MS, '<ms>');
  };
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(opts.queues)) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:${name}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const label = rename(key);
        if (opts.ignore?.includes(label)) continue;
        // the id counter: a Conveyor producer reserves values in blocks (lib/engine/job-ids.ts), so
        // it may be ahead of the last id handed out; the ids themselves are compared in the keys
        if (opts.presenceOnly?.includes(label) || label.endsWith(':id')) {
          out[label] = 'present';
          continue;
        }
        out[label] = await describeKey(redis, key, label, rename);
      }
    } while (cursor !== '0');
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function describeKey(redis: Redis, key: string, label: string, rename: (t: string) => string): Promise<unknown> {
  const type = await redis.type(key);
  const ttl = (await redis.pttl(key)) > 0 ? ' (ttl)' : '';
  switch (type) {
    case 'string':
      return `string${ttl} ${rename((await redis.get(key)) ?? '')}`;
    case 'list':
      return { [`list${ttl}`]: (await redis.lrange(key, 0, -1)).map(rename) };
    case 'set':
      return { [`set${ttl}`]: (await redis.smembers(key)).map(rename).sort() };
    case 'zset': {
      const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
      const entries: string[] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push(`${rename(flat[i])}=${maskScore(label, flat[i + 1])}`);
      return { [`zset${ttl}`]: entries };
    }
    case 'hash': {
      const hash = await redis.hgetall(key);
      const masked: Record<string, string> = {};
      for (const field of Object.keys(hash).sort()) {
        // field names are job keys in a parent's :processed / :failed hashes
        const name = rename(field);
        if (field === 'version' && label.endsWith(':meta')) masked[name] = '<library version>';
        else if (field === 'stacktrace') masked[name] = rename(stackHeads(hash[field]));
        else masked[name] = rename(hash[field]);
      }
      return { [`hash${ttl}`]: masked };
    }
    case 'stream': {
      const entries = await redis.xrange(key, '-', '+');
      return { [`stream${ttl}`]: entries.map(([, fields]) => rename(fields.join(' '))) };
    }
    default:
      return type;
  }
}

function maskScore(label: string, score: string): string {
  // delayed: due ms * 4096 + seq; marker/completed/failed/waiting-children: ms
  if (label.endsWith(':delayed')) return `<due>*4096+${Number(score) % 4096}`;
  // the delay marker may be fractional (earliest delayed score / 4096); only "is it a time" matters
  if (label.endsWith(':marker')) return score === '0' ? '0' : '<ms>';
  return score.replace(MS, '<ms>');
}

/** A stacktrace field with each stack cut to its first line: frames differ between engines. */
function stackHeads(json: string): string {
  try {
    const stacks = JSON.parse(json) as unknown;
    if (!Array.isArray(stacks)) return json;
    return JSON.stringify(stacks.map((s) => (typeof s === 'string' ? s.split('\n')[0] : s)));
  } catch {
    return json;
  }
}

/** snapshot() of one queue with `opts` JSON key-sorted: Lua cjson (bullmq) and JSON.stringify order keys differently. */
export async function normalizedSnapshot(redis: Redis, name: string): Promise<Record<string, unknown>> {
  const space = await snapshot(redis, { queues: { [name]: 'Q' } });
  for (const value of Object.values(space)) {
    const hash = (value as { hash?: Record<string, string> }).hash;
    if (hash?.opts) hash.opts = JSON.stringify(sortKeys(JSON.parse(hash.opts)));
  }
  return space;
}
