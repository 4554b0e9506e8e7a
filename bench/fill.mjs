// @ts-check
// Filling a queue with a million waiting jobs in seconds rather than minutes (bullmq's addBulk does
// ~20,000 jobs/s here). The engine under test adds the first job itself; a script then copies that
// job's hash to the following ids, changing only `data` to `{"i":k}`, pushes them where the engine
// put the first one (`wait`, or `prioritized` with the scores its next adds would get, wire-format
// §4.2) and moves the `id` (and `pc`) counters on. The engine then adds one more job itself and the
// fill checks that it landed where the copies predicted, with the same fields: a fill that does not
// produce what the engine's own add would have written fails the case. Not written: the `added` and
// `waiting` events of the copies (nothing reads them, and both engines cap the stream near 10,000).
import { PREFIX } from './sides.mjs';

/** Jobs per script call: tens of milliseconds of Redis each. */
const CHUNK = 20_000;

const FILL_SCRIPT = `
local jobPrefix, target, idKey, pcKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local base, first, last = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local baseScore = tonumber(ARGV[4])
local fields = redis.call("HGETALL", jobPrefix .. ARGV[1])
local dataAt
for j = 1, #fields, 2 do
  if fields[j] == "data" then dataAt = j + 1 end
end
if not dataAt then return redis.error_reply("the first job has no data field") end
for id = first, last do
  fields[dataAt] = '{"i":' .. (id - base) .. '}'
  redis.call("HSET", jobPrefix .. id, unpack(fields))
  if baseScore then
    redis.call("ZADD", target, baseScore + (id - base), id)
  else
    redis.call("LPUSH", target, id)
  end
end
redis.call("SET", idKey, last)
if baseScore then redis.call("INCRBY", pcKey, last - first + 1) end
return last
`;

/** Fields the copies may differ in from a job the engine added itself. */
const VARYING = new Set(['data', 'timestamp']);

/**
 * Leaves `depth` jobs `{ i }` waiting in queue `name` (i = 0 … depth-1 in the order they run), all
 * with `opts`; the queue must be empty.
 * @param {import('./redis-admin.mjs').RedisAdmin} admin
 * @param {import('./sides.mjs').BenchQueue} queue  the engine's queue object for `name`
 * @param {string} name
 * @param {number} depth  at least 2
 * @param {{ priority?: number }} opts
 */
export async function fillQueue(admin, queue, name, depth, opts) {
  const redis = admin.client;
  const key = (/** @type {string} */ suffix) => `${PREFIX}:${name}:${suffix}`;
  const prioritized = (opts.priority ?? 0) > 0;
  const target = key(prioritized ? 'prioritized' : 'wait');

  const first = await queue.add('bench', { i: 0 }, opts);
  const base = Number(first.id);
  if (!Number.isSafeInteger(base)) throw new Error(`the first job got id ${first.id}; the fill needs numeric ids`);
  const baseScore = prioritized ? await redis.zscore(target, String(base)) : '';
  if (prioritized && baseScore === null) throw new Error(`the first job (priority ${opts.priority}) is not in ${target}`);

  const last = base + depth - 2;
  for (let from = base + 1; from <= last; from += CHUNK) {
    const to = Math.min(last, from + CHUNK - 1);
    await redis.eval(FILL_SCRIPT, 4, key(''), target, key('id'), key('pc'), base, from, to, baseScore ?? '');
  }

  const check = await queue.add('bench', { i: depth - 1 }, opts);
  await checkFill({ redis, key, target, base, depth, baseScore, checkId: String(check.id) });
}

/**
 * @param {{
 *   redis: import('ioredis').Redis, key: (suffix: string) => string, target: string,
 *   base: number, depth: number, baseScore: string | null, checkId: string,
 * }} fill
 */
async function checkFill({ redis, key, target, base, depth, baseScore, checkId }) {
  const fail = (/** @type {string} */ what) => {
    throw new Error(`the deep-queue fill does not match the engine's own add: ${what}`);
  };
  const expectedId = String(base + depth - 1);
  if (checkId !== expectedId) fail(`the add after it got id ${checkId}, not ${expectedId}`);
  if (baseScore) {
    const score = await redis.zscore(target, checkId);
    const expected = String(Number(baseScore) + depth - 1);
    if (score !== expected) fail(`the add after it got score ${score}, not ${expected}`);
  }
  const count = baseScore ? await redis.zcard(target) : await redis.llen(target);
  if (count !== depth) fail(`${target} holds ${count} jobs, not ${depth}`);
  if (depth > 2) {
    const copy = await redis.hgetall(key(String(base + 1)));
    const own = await redis.hgetall(key(checkId));
    const names = (/** @type {Record<string, string>} */ h) => Object.keys(h).sort().join(',');
    if (names(copy) !== names(own)) fail(`a copy has fields ${names(copy)}, the engine's job ${names(own)}`);
    for (const [field, value] of Object.entries(own)) {
      if (!VARYING.has(field) && copy[field] !== value) fail(`field ${field}: copy ${copy[field]}, engine ${value}`);
    }
  }
}
