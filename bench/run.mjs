// @ts-check
// `npm run bench`: Conveyor and bullmq side by side on one Redis, alternating case by case over
// several rounds; writes a Markdown report (bench/RESULTS.md, or a temp file with --quick).
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CASES } from './cases/index.mjs';
import { describeEnvironment } from './machine.mjs';
import { parseOptions, QUICK_DEPTH, usage } from './options.mjs';
import { ProfileOutput } from './profile-output.mjs';
import { RegionProfiler } from './profiler.mjs';
import { RedisAdmin, targetFromUrl } from './redis-admin.mjs';
import { startRedisServer } from './redis-server.mjs';
import { formatPerJob, formatValue, renderReport, sampleKey } from './report.mjs';
import { Scope } from './scope.mjs';
import { loadSides } from './sides.mjs';
import { withTimeout } from './waiting.mjs';

/** A wait that sees no progress for this long fails the measurement. */
const IDLE_MS = 15_000;

/** @param {string} message */
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** @param {unknown} err */
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

/**
 * One measurement of one case on one engine, in its own scope (queues removed, clients closed).
 * @param {import('./cases/case.mjs').BenchCase} benchCase
 * @param {import('./sides.mjs').Side} side
 * @param {{ n: number, depth: number, profiler?: RegionProfiler }} size  `profiler` profiles the measured region
 * @param {{ admin: RedisAdmin, options: import('./options.mjs').BenchOptions, warnings: string[] }} ctx
 */
async function measureOnce(benchCase, side, { n, depth, profiler }, { admin, options, warnings }) {
  const scope = new Scope(admin, `${benchCase.id}-${side.id}`);
  try {
    const { rate, steadyConcurrency } = options;
    const run = benchCase.run({ side, admin, scope, n, depth, rate, steadyConcurrency, idleMs: IDLE_MS, profiler });
    // the watchdogs inside the cases catch stalls; this only bounds a call that never returns
    return await withTimeout(run, 120_000 + n * 5, `${benchCase.id} on ${side.label}`);
  } catch (err) {
    const engineError = scope.lastError && !messageOf(err).includes(scope.lastError) ? ` (last engine error: ${scope.lastError})` : '';
    throw new Error(`${messageOf(err)}${engineError}`, { cause: err });
  } finally {
    await scope.close();
    warnings.push(...scope.warnings);
  }
}

/** @param {import('./cases/case.mjs').BenchCase} benchCase  @param {import('./cases/case.mjs').Measurement} m */
function summary(benchCase, m) {
  const values = benchCase.metrics.map((metric) => `${metric.label} ${formatValue(m.values[metric.key], metric.unit)} ${metric.unit}`);
  if (m.commands && m.jobs) {
    values.push(
      `${formatPerJob(m.commands.commands / m.jobs)} cmds, ${formatPerJob(m.commands.scripts / m.jobs)} scripts per ${benchCase.commandsPer}`,
    );
  }
  if (m.setupMs) values.push(`setup ${(m.setupMs / 1000).toFixed(1)} s`);
  return values.join(', ');
}

/** @returns {Promise<number>} the exit code */
async function main() {
  /** @type {import('./options.mjs').BenchOptions} */
  let options;
  try {
    options = parseOptions(process.argv.slice(2), CASES);
  } catch (err) {
    console.error(`${messageOf(err)}\n\n${usage(CASES)}`);
    return 2;
  }
  if (options.help) {
    console.log(usage(CASES));
    return 0;
  }
  const conveyorEntry = options.conveyor ?? fileURLToPath(new URL('../dist/index.js', import.meta.url));
  if (!existsSync(conveyorEntry)) {
    console.error(
      `No built Conveyor at ${conveyorEntry}: run \`npm run bench\` (it compiles first) or \`npx tsc -p tsconfig.build.json\`.`,
    );
    return 2;
  }
  const cases = CASES.filter((c) => options.caseIds.includes(c.id));
  const started = performance.now();

  const own = options.redisUrl ? undefined : await startRedisServer();
  const url = options.redisUrl ?? /** @type {NonNullable<typeof own>} */ (own).url;
  const target = targetFromUrl(url);
  // on its own server the harness empties the whole database between measurements
  const admin = new RedisAdmin(target, { ownsServer: own !== undefined });
  const profiler = options.profile ? new RegionProfiler(options.profileIntervalUs) : undefined;
  const profiles = options.profile
    ? new ProfileOutput(options.profile, { rounds: options.rounds, intervalUs: options.profileIntervalUs })
    : undefined;
  try {
    const redisVersion = await admin.serverVersion();
    const [major, minor] = redisVersion.split('.').map(Number);
    if (major < 6 || (major === 6 && minor < 2)) throw new Error(`Redis ${redisVersion} is too old: both engines need Redis >= 6.2`);
    log(
      own
        ? `own redis-server ${redisVersion} at ${url} (pid ${own.pid})`
        : `Redis ${redisVersion} at ${target.host}:${target.port} (--redis-url)`,
    );
    const sides = await loadSides(target, options.conveyor);
    const env = describeEnvironment({
      redisVersion,
      redisSource: own
        ? 'an own redis-server started by the harness (loopback, no persistence, nothing else connected)'
        : 'given by --redis-url (other clients on it add to the command counts and memory)',
      conveyorVersion: sides[0].version,
      conveyorEntry: options.conveyor,
    });

    /** @type {Map<string, import('./cases/case.mjs').Measurement[]>} */
    const measurements = new Map();
    /** @type {import('./report.mjs').Failure[]} */
    const failures = [];
    /** @type {string[]} */
    const warnings = [];
    const failed = new Set();
    const ctx = { admin, options, warnings };

    /**
     * Every case once on each engine, the engines in turn.
     * @param {string} label  e.g. "round 2/5"
     * @param {{ record: boolean, reversed: boolean, round: number }} how  warm-up passes are not recorded
     */
    const pass = async (label, { record, reversed, round }) => {
      for (const benchCase of cases) {
        for (const side of reversed ? [...sides].reverse() : sides) {
          const key = sampleKey(benchCase.id, side.id);
          if (failed.has(key)) continue;
          const n = record ? options.n[benchCase.id] : Math.min(options.n[benchCase.id], benchCase.quickN);
          const depth = record ? options.depth : Math.min(options.depth, QUICK_DEPTH);
          try {
            const m = await measureOnce(benchCase, side, { n, depth, profiler: record ? profiler : undefined }, ctx);
            log(`${label} ${benchCase.id} ${side.label}: ${summary(benchCase, m)}`);
            if (record) measurements.set(key, [...(measurements.get(key) ?? []), m]);
            const profile = profiler?.take();
            if (profile && profiles) log(`profile written to ${profiles.save(profile, { caseId: benchCase.id, side, round, m })}`);
          } catch (err) {
            // a broken case is reported once and skipped afterwards; the other cases go on
            failed.add(key);
            failures.push({ caseId: benchCase.id, sideId: side.label, round: label, message: messageOf(err) });
            log(`FAILED ${benchCase.id} on ${side.label} (${label}): ${messageOf(err)}`);
          }
        }
      }
    };

    if (options.warmup) await pass('warm-up', { record: false, reversed: false, round: 0 });
    // odd rounds run Conveyor first, even rounds bullmq first, so neither always goes second
    for (let r = 1; r <= options.rounds; r++) await pass(`round ${r}/${options.rounds}`, { record: true, reversed: r % 2 === 0, round: r });

    env.loadAtEnd = os.loadavg();
    const markdown = renderReport({
      env,
      options,
      cases,
      sides,
      measurements,
      failures,
      warnings,
      elapsedS: (performance.now() - started) / 1000,
    });
    writeFileSync(options.out, markdown);
    const summaryFile = profiles?.finish();
    if (summaryFile) log(`profile summary written to ${summaryFile}`);
    if (options.quick) process.stdout.write(`${markdown}\n`);
    log(`results written to ${options.out}`);
    if (failures.length) log(`${failures.length} measurement(s) failed; see "Failures" in the report`);
    return failures.length ? 1 : 0;
  } finally {
    profiler?.close();
    await admin.close();
    await own?.stop();
  }
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  console.error(`[bench] ${err instanceof Error ? err.stack : String(err)}`);
}
process.exitCode = exitCode;
// every client is closed by now; if something still holds the loop, say what instead of hanging
setTimeout(() => {
  log(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}`);
  process.exit(exitCode || 1);
}, 5000).unref();
