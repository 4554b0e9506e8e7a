// @ts-check
// Where a worker's Node time goes: N pre-loaded no-op jobs (as the process-* cases), one worker,
// the V8 CPU profiler on over worker start .. N-th completion. Prints jobs/s, Node CPU per job
// (process.cpuUsage) and self time by function and by file; writes the .cpuprofile to .prof/.
//
//   npm run build && node bench/profile-worker.mjs --concurrency 10 --n 50000 [--engine bullmq]
//   [--redis-url redis://...] [--top 25] [--no-profile] [--conveyor other/dist/index.js]
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { addInBulk } from './cases/case.mjs';
import { startRedisServer } from './redis-server.mjs';
import { loadSides } from './sides.mjs';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'conveyor' },
    concurrency: { type: 'string', default: '10' },
    n: { type: 'string', default: '50000' },
    'redis-url': { type: 'string' },
    top: { type: 'string', default: '25' },
    'no-profile': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '5000' },
    conveyor: { type: 'string' },
    heap: { type: 'boolean', default: false },
    commands: { type: 'boolean', default: false },
  },
});
const concurrency = Number(values.concurrency);
const n = Number(values.n);
const top = Number(values.top);

const own = values['redis-url'] ? undefined : await startRedisServer();
const url = new URL(values['redis-url'] ?? own?.url ?? '');
const target = { host: url.hostname, port: Number(url.port) };
const sides = await loadSides(target, values.conveyor);
const found = sides.find((s) => s.id === values.engine);
if (!found) throw new Error(`no engine ${values.engine}`);
const side = found;

const { Redis } = await import('ioredis');
const admin = new Redis({ ...target, lazyConnect: false });
/** Redis's own CPU so far, µs (INFO cpu: main thread and others, user and system). */
async function redisCpuUs() {
  const info = await admin.info('cpu');
  const field = (/** @type {string} */ name) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/** INFO commandstats as { command: { calls, usec } }. */
async function commandStats() {
  const info = await admin.info('commandstats');
  /** @type {Record<string, { calls: number, usec: number }>} */
  const out = {};
  for (const m of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+),usec=(\d+)/g)) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

let queueCounter = 0;
/** @param {number} count  @param {boolean} profile */
async function pass(count, profile) {
  const name = `prof-${process.pid}-${queueCounter++}`;
  const queue = side.queue(name);
  await queue.waitUntilReady();
  await addInBulk(queue, 0, count);
  const worker = side.worker(name, async () => undefined, concurrency);
  let seen = 0;
  /** @type {() => void} */
  let finished = () => {};
  const all = new Promise((resolve) => (finished = () => resolve(undefined)));
  worker.on('completed', () => {
    if (++seen === count) finished();
  });
  worker.on('failed', (_job, err) => {
    throw err;
  });
  await worker.waitUntilReady();
  const session = new Session();
  if (profile && values.heap) {
    // allocations instead of time: what the garbage collector has to clear up
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else if (profile) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const redis0 = await redisCpuUs();
  const stats0 = await commandStats();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  void worker.run();
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redisUs = (await redisCpuUs()) - redis0;
  const stats1 = await commandStats();
  /** @type {[string, number, number][]} */
  const commands = Object.keys(stats1)
    .map(
      (c) =>
        /** @type {[string, number, number]} */ ([
          c,
          (stats1[c].calls - (stats0[c]?.calls ?? 0)) / count,
          (stats1[c].usec - (stats0[c]?.usec ?? 0)) / count,
        ]),
    )
    .filter(([c, calls]) => calls > 0 && c !== 'info');
  /** @type {any} */
  let prof;
  if (profile && values.heap) {
    prof = { heap: (await session.post('HeapProfiler.stopSampling')).profile };
    session.disconnect();
  } else if (profile) {
    prof = (await session.post('Profiler.stop')).profile;
    session.disconnect();
  }
  await worker.close();
  await queue.close();
  return { ms, cpuUs: cpu.user + cpu.system, sysUs: cpu.system, redisUs, commands, prof };
}

if (Number(values.warmup) > 0) await pass(Number(values.warmup), false);
const { ms, cpuUs, sysUs, redisUs, commands, prof } = await pass(n, !values['no-profile']);
console.log(
  `${side.id} c=${concurrency} n=${n}: ${Math.round((n * 1000) / ms)} jobs/s, Node CPU ${(cpuUs / n).toFixed(1)} µs/job ` +
    `(system ${(sysUs / n).toFixed(1)}) ` +
    `(${Math.round((cpuUs / 1000 / ms) * 100)}% of one core), Redis CPU ${(redisUs / n).toFixed(1)} µs/job`,
);
if (values.commands) {
  // usec of a script call includes the commands it ran
  console.log('Redis commands per job (calls, usec):');
  for (const [c, calls, usec] of commands.sort((a, b) => b[2] - a[2]))
    console.log(`  ${c.padEnd(16)} ${calls.toFixed(3).padStart(7)} ${usec.toFixed(2).padStart(7)} µs`);
}
if (prof?.heap) {
  summariseHeap(prof.heap, n);
} else if (prof) {
  mkdirSync('.prof', { recursive: true });
  const file = `.prof/${side.id}-c${concurrency}-${Date.now()}.cpuprofile`;
  writeFileSync(file, JSON.stringify(prof));
  summarise(prof, file);
}
admin.disconnect();
await own?.stop();

/** @param {any} prof  @param {string} file */
function summarise(prof, file) {
  /** @type {Map<number, any>} */
  const nodes = new Map(prof.nodes.map((/** @type {any} */ node) => [node.id, node]));
  /** @type {Map<number, number>} */
  const self = new Map();
  const deltas = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    // a sample's time is the delta to the next one
    const dt = deltas[i + 1] ?? 0;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  let total = 0;
  /** @type {Map<string, number>} */
  const byFn = new Map();
  /** @type {Map<string, number>} */
  const byFile = new Map();
  /** @type {Map<string, number>} */
  const byKind = new Map();
  let idle = 0;
  for (const [id, us] of self) {
    const { callFrame } = nodes.get(id);
    // waiting on Redis is not Node's cost: percentages are of the busy time
    if (callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const where = shortFile(callFrame.url);
    const fn = `${callFrame.functionName || '(anon)'} ${where}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(where || callFrame.functionName, (byFile.get(where || callFrame.functionName) ?? 0) + us);
    const kind = kindOf(callFrame.url, callFrame.functionName);
    byKind.set(kind, (byKind.get(kind) ?? 0) + us);
  }
  const show = (/** @type {Map<string, number>} */ m, /** @type {number} */ k) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([what, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${what}`)
      .join('\n');
  console.log(
    `profile ${file}: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle\nself time by function:\n${show(byFn, top)}`,
  );
  console.log(`self time by file:\n${show(byFile, top)}`);
  console.log(`self time by kind:\n${show(byKind, top)}`);
}

/** @param {any} heap  @param {number} jobs */
function summariseHeap(heap, jobs) {
  /** @type {Map<string, number>} */
  const byFn = new Map();
  let total = 0;
  /** @param {any} node  @param {string} parent */
  const walk = (node, parent) => {
    const { callFrame } = node;
    const own = `${callFrame.functionName || '(anon)'} ${shortFile(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    const self = node.selfSize ?? 0;
    // a builtin (no file) is charged with its JS caller too, to say who allocated
    const key = callFrame.url ? own : `${own} <- ${parent}`;
    if (self) byFn.set(key, (byFn.get(key) ?? 0) + self);
    total += self;
    for (const child of node.children ?? []) walk(child, callFrame.url ? own : parent);
  };
  walk(heap.head, '(root)');
  console.log(`allocated ${(total / jobs).toFixed(0)} bytes/job (sampled); by function:`);
  for (const [what, bytes] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${(bytes / jobs).toFixed(0).padStart(6)} B/job ${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${what}`);
  }
}

/** @param {string} url  @param {string} fn */
function kindOf(url, fn) {
  if (url.includes('/ioredis/') || url.includes('/redis-parser/') || url.includes('/standard-as-callback/')) return 'ioredis';
  if (url.includes('/bullmq/') || url.includes('/msgpackr/')) return 'bullmq';
  if (url.includes('/dist/')) return 'engine (dist/)';
  if (url.includes('/bench/')) return 'bench harness';
  if (url.startsWith('node:')) return 'node internals';
  if (fn === '(garbage collector)') return 'GC';
  return `native: ${fn}`;
}

/** @param {string} url */
function shortFile(url) {
  if (!url) return '';
  const i = url.indexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}
