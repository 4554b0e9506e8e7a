// @ts-check
// Where Redis time goes: the Redis-side cost, per job, of the two scripts a worker runs (the fetch,
// moveToActive, and the finish, moveToFinished without fetch-next), called by hand in batches the
// size a worker's concurrency gives them. Each call is followed by INFO commandstats, so the cost
// of the call and of every command it ran is its own; "Lua" is the rest (the interpreter, and
// turning arguments and replies between Redis and Lua). No Node time is measured here.
//
//   npm run build && node bench/script-cost.mjs [--batches 1,10,50] [--n 5000] [--conveyor dist/index.js]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addInBulk } from './cases/case.mjs';
import { startRedisServer } from './redis-server.mjs';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,10,50' },
    n: { type: 'string', default: '5000' },
    conveyor: { type: 'string', default: 'dist/index.js' },
  },
});
const batches = values.batches.split(',').map(Number);
const n = Number(values.n);
const distDir = path.dirname(path.resolve(values.conveyor));
const { Queue } = await import(path.join(distDir, 'index.js'));
const { loadScript } = await import(path.join(distDir, 'engine/core/scripts.js'));
const { moveToActiveArgs, moveToFinishedArgs, appendFurtherJob } = await import(path.join(distDir, 'engine/job/finish-args.js'));
const { Redis } = await import('ioredis');

const own = await startRedisServer();
const url = new URL(own.url);
const connection = { host: url.hostname, port: Number(url.port) };
const admin = new Redis(connection);
const scripts = { fetch: loadScript('moveToActive'), finish: loadScript('moveToFinished') };
for (const s of Object.values(scripts)) await admin.script('LOAD', s.source);
const settings = { lockDuration: 30_000, name: '', maxDataPoints: 0 };

// The floor: one script that takes up to ARGV[3] jobs and completes them with only what the layout
// and BullMQ's events need (wait to active, lock, start fields, 'active' event, the job's hash read
// for the worker; then out of active, finish fields, 'completed' event, lock gone, into completed)
// and no check at all: no lock check, no pause, rate limit, delayed jobs, parents, retention or
// metrics, not even the reply's encoding. What the worker's two scripts cost above it is what a
// rewrite of their Lua could at most win.
const FLOOR = `
local base, now = ARGV[1], ARGV[2]
local ids = redis.call("LRANGE", base .. "wait", -tonumber(ARGV[3]), -1)
if #ids == 0 then return 0 end
redis.call("LPUSH", base .. "active", unpack(ids))
redis.call("LTRIM", base .. "wait", 0, -#ids - 1)
local locks, done = {}, {}
for i = #ids, 1, -1 do
  local id = ids[i]
  local key = base .. id
  redis.call("SET", key .. ":lock", "t", "PX", "30000")
  redis.call("HSET", key, "processedOn", now, "ats", "1")
  redis.call("XADD", base .. "events", "MAXLEN", "~", "10000", "*", "event", "active", "jobId", id, "prev", "waiting")
  redis.call("HGETALL", key)
end
for i = #ids, 1, -1 do
  local id = ids[i]
  local key = base .. id
  redis.call("LREM", base .. "active", "-1", id)
  redis.call("HSET", key, "atm", "1", "returnvalue", "null", "finishedOn", now)
  redis.call("XADD", base .. "events", "MAXLEN", "~", "10000", "*", "event", "completed", "jobId", id, "returnvalue", "null", "prev", "active")
  locks[#locks + 1] = key .. ":lock"
  done[#done + 1] = now
  done[#done + 1] = id
end
redis.call("DEL", unpack(locks))
redis.call("ZADD", base .. "completed", unpack(done))
return #ids`;
const floorSha = /** @type {string} */ (await admin.script('LOAD', FLOOR));

/** @returns {Promise<Stats>} */
async function commandStats() {
  const info = await admin.info('commandstats');
  const out = new Map();
  for (const m of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/g)) out.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/** @typedef {Map<string, { calls: number, usec: number }>} Stats */

/**
 * Adds what happened between two commandstats readings to `into`, INFO itself left out.
 * @param {Stats} into  @param {Stats} before  @param {Stats} after
 */
function addDelta(into, before, after) {
  for (const [command, { calls, usec }] of after) {
    if (command === 'info') continue;
    const was = before.get(command) ?? { calls: 0, usec: 0 };
    if (calls === was.calls) continue;
    const sum = into.get(command) ?? { calls: 0, usec: 0 };
    sum.calls += calls - was.calls;
    sum.usec += usec - was.usec;
    into.set(command, sum);
  }
}

/**
 * Takes and completes `n` no-op jobs (as the bench's process-* cases add them), `batch` at a time.
 * @param {number} batch
 */
async function measure(batch) {
  const name = `script-cost-${batch}`;
  const queue = new Queue(name, { connection });
  await addInBulk(queue, 0, n);
  const base = `bull:${name}:`;
  const token = 'script-cost-token';
  const phases = { fetch: new Map(), finish: new Map() };
  let jobs = 0;
  for (;;) {
    const s0 = await commandStats();
    const reply = /** @type {string[]} */ (
      await admin.evalsha(scripts.fetch.sha, 1, `${base}meta`, ...moveToActiveArgs(base, token, settings, Date.now(), batch))
    );
    const s1 = await commandStats();
    addDelta(phases.fetch, s0, s1);
    const ids = [];
    for (let i = 2; i < reply.length; i += 2) ids.push(reply[i]);
    if (ids.length === 0) break;
    // what the worker sends for a no-op job taken for the first time: completed, kept, attempts made 1
    const each = ids.map((id) => ({
      id,
      token,
      target: 'completed',
      value: 'null',
      keep: [-1, 0, 0],
      attempts: 0,
      stacktrace: '',
      nextAtm: '1',
      ats: '1',
    }));
    const args = moveToFinishedArgs(base, each[0], Date.now(), 0, settings);
    for (let i = 1; i < each.length; i++) appendFurtherJob(args, each[i], each[i - 1]);
    const reply2 = await admin.evalsha(scripts.finish.sha, ids.length, ...ids.map((id) => base + id), ...args);
    addDelta(phases.finish, s1, await commandStats());
    // one job: its code, or { 0, ... }; several: { codes, ... }
    const codes = Array.isArray(reply2) ? (Array.isArray(reply2[0]) ? reply2[0] : [reply2[0]]) : [reply2];
    const failed = codes.filter((c) => c !== 0);
    if (failed.length) throw new Error(`moveToFinished refused jobs: ${failed.join(', ')}`);
    jobs += ids.length;
  }
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobs, phases };
}

/**
 * The floor script over `n` jobs added the same way, `batch` at a time.
 * @param {number} batch
 */
async function measureFloor(batch) {
  const name = `script-floor-${batch}`;
  const queue = new Queue(name, { connection });
  await addInBulk(queue, 0, n);
  const stats = new Map();
  let jobs = 0;
  for (;;) {
    const s0 = await commandStats();
    const took = Number(await admin.evalsha(floorSha, 0, `bull:${name}:`, Date.now(), batch));
    addDelta(stats, s0, await commandStats());
    if (took === 0) break;
    jobs += took;
  }
  await queue.obliterate({ force: true });
  await queue.close();
  return { jobs, stats };
}

const lines = ['| batch | script | µs per job | of it in commands | Lua and conversion | commands per job |', '|--:|---|--:|--:|--:|---|'];
/**
 * A table row: µs per job of the script calls in `stats`, of it in the commands they ran, and the
 * commands run once a job or more.
 * @param {number} batch  @param {string} label  @param {Stats} stats  @param {number} jobs
 */
function row(batch, label, stats, jobs) {
  const script = stats.get('evalsha') ?? { calls: 0, usec: 0 };
  const inner = [...stats].filter(([c]) => c !== 'evalsha').sort((a, b) => b[1].usec - a[1].usec);
  const innerUs = inner.reduce((sum, [, s]) => sum + s.usec, 0);
  const mix = inner
    .filter(([, s]) => s.calls / jobs >= 0.5)
    .map(([c, s]) => `${c} ${(s.usec / jobs).toFixed(1)}`)
    .join(', ');
  const us = (/** @type {number} */ v) => (v / jobs).toFixed(1);
  return `| ${batch} | ${label} | ${us(script.usec)} | ${us(innerUs)} | ${us(script.usec - innerUs)} | ${mix} |`;
}

for (const batch of batches) {
  const { jobs, phases } = await measure(batch);
  const both = new Map();
  for (const stats of Object.values(phases)) addDelta(both, new Map(), stats);
  lines.push(
    row(batch, 'fetch', phases.fetch, jobs),
    row(batch, 'finish', phases.finish, jobs),
    row(batch, '**fetch + finish**', both, jobs),
  );
  const floor = await measureFloor(batch);
  lines.push(row(batch, '**floor** (take and complete, one script)', floor.stats, floor.jobs));
}
console.log(
  `Redis-side cost of the worker's scripts, ${n} no-op jobs per batch size (µs per job; commands run once a job or more, with their µs)\n`,
);
console.log(lines.join('\n'));
admin.disconnect();
await own.stop();
