#!/usr/bin/env node
// The chaos suite: node test/chaos/run.mjs [--mode short|long] [--scenarios a,b] [--faults N]
//   [--json file] [--keep]
// Each scenario gets its own redis-server (AOF, fsync always) and queue; producers and workers are
// child processes using the BUILT engine (dist/: `npx tsc -p tsconfig.build.json` first). Prints
// one table row per scenario and exits non-zero when any target is missed.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopAll } from './lib/processes.mjs';
import { BudgetSpent, Chaos } from './lib/scenario.mjs';
import { evaluate, LIMITS, table } from './lib/targets.mjs';
import clientKill from './scenarios/client-kill.mjs';
import killAfterReturn from './scenarios/kill-after-return.mjs';
import oom from './scenarios/oom.mjs';
import redisDown from './scenarios/redis-down.mjs';
import redisKill from './scenarios/redis-kill.mjs';
import redisStop from './scenarios/redis-stop.mjs';
import sigtermClose from './scenarios/sigterm-close.mjs';
import workerKill from './scenarios/worker-kill.mjs';
import workerSigstop from './scenarios/worker-sigstop.mjs';

const SCENARIOS = [workerKill, workerSigstop, sigtermClose, killAfterReturn, clientKill, redisKill, redisStop, redisDown, oom];
/** Long mode must inject at least this many faults in all. */
const LONG_MODE_MIN_FAULTS = 1000;
/** Per scenario: past this, it injects no more faults and goes on to the drain and the check. */
const SCENARIO_BUDGET_MS = { short: 3 * 60_000, long: 25 * 60_000 };

function parseArgs(argv) {
  const args = { mode: 'short', scenarios: undefined, faults: undefined, json: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--mode') args.mode = value();
    else if (a === '--scenarios')
      args.scenarios = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a === '--faults') args.faults = Number(value());
    else if (a === '--json') args.json = value();
    else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown argument ${a}; usage: run.mjs [--mode short|long] [--scenarios a,b] [--faults N] [--json file] [--keep]`);
  }
  if (!['short', 'long'].includes(args.mode)) throw new Error(`--mode must be short or long, got ${args.mode}`);
  if (args.faults !== undefined && !(Number.isInteger(args.faults) && args.faults > 0))
    throw new Error(`--faults must be a whole number > 0`);
  const known = SCENARIOS.map((s) => s.name);
  for (const s of args.scenarios ?? []) if (!known.includes(s)) throw new Error(`unknown scenario ${s}; known: ${known.join(', ')}`);
  return args;
}

const log = (line) => process.stderr.write(`${line}\n`);

async function runScenario(scenario, args, root) {
  const faults = args.faults ?? scenario.faults[args.mode];
  const ctx = new Chaos({ name: scenario.name, root, log });
  const started = Date.now();
  ctx.deadline = started + SCENARIO_BUDGET_MS[args.mode];
  log(`\n== ${scenario.name}: ${scenario.title} (${faults} faults)`);
  let error;
  let outcome;
  try {
    await ctx.setup();
    await scenario.run(ctx, faults);
  } catch (err) {
    if (err instanceof BudgetSpent) ctx.note(err.message);
    else {
      error = err;
      log(`  scenario error: ${err?.stack ?? err}`);
    }
  }
  try {
    if (ctx.redis) {
      await ctx.drain();
      const { result, records } = await ctx.check();
      outcome = evaluate(scenario, ctx, result, records, faults);
      outcome.result = result;
    }
  } catch (err) {
    error ??= err;
    log(`  drain/check error: ${err?.stack ?? err}`);
  }
  const missed = [...(outcome?.missed ?? [])];
  if (error) missed.unshift(`scenario error: ${error.message ?? error}`);
  const keepFiles = args.keep || missed.length > 0;
  await ctx.teardown({ keepFiles }).catch((err) => log(`  teardown error: ${err?.message ?? err}`));
  const seconds = Math.round((Date.now() - started) / 1000);
  const row = {
    ...(outcome?.row ?? { scenario: scenario.name, faults: ctx.faults.length }),
    verdict: missed.length ? 'NOT MET' : 'met',
    seconds,
  };
  log(`  ${row.verdict} in ${seconds} s${missed.length ? `: ${missed.join('; ')}` : ''}${keepFiles ? ` (files kept in ${ctx.dir})` : ''}`);
  if (outcome?.result) {
    const r = outcome.result;
    log(`  stalled ${r.stalled}, redelivered ${r.redelivered}, indeterminate adds ${r.indeterminate}, finished twice ${r.finishedTwice}`);
    const d = outcome.derived;
    if (d.recoveries.length)
      log(
        `  killed jobs ran again after ${Math.min(...d.recoveries)}-${d.recoveryMaxMs} ms (${d.recoveries.length}); failed after too many stalls: ${d.failedAfterStalls}`,
      );
    for (const [kind, list] of Object.entries(r.details))
      if (list.length) log(`  ${kind}: ${JSON.stringify(list.slice(0, 10))}${list.length > 10 ? ` ... (${list.length})` : ''}`);
  }
  return {
    row,
    missed,
    notes: ctx.metrics.notes,
    metrics: {
      ...ctx.metrics,
      derived: outcome?.derived,
      stalled: outcome?.result?.stalled,
      redelivered: outcome?.result?.redelivered,
      indeterminate: outcome?.result?.indeterminate,
    },
    faults: ctx.faults,
    details: outcome?.result?.details,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} is missing: build the engine first (npx tsc -p tsconfig.build.json)`);
  const chosen = SCENARIOS.filter((s) => !args.scenarios || args.scenarios.includes(s.name));
  const root = mkdtempSync(path.join(os.tmpdir(), 'conveyor-chaos-'));
  log(`chaos ${args.mode} mode, scenarios ${chosen.map((s) => s.name).join(', ')}; files under ${root}`);
  const started = Date.now();
  const results = [];
  for (const scenario of chosen) results.push(await runScenario(scenario, args, root));
  await stopAll(5000);

  const totalFaults = results.reduce((n, r) => n + (r.row.faults ?? 0), 0);
  const overall = [];
  if (args.mode === 'long' && !args.scenarios && !args.faults && totalFaults < LONG_MODE_MIN_FAULTS) {
    overall.push(`${totalFaults} faults in all, fewer than ${LONG_MODE_MIN_FAULTS}`);
  }
  const minutes = Math.round((Date.now() - started) / 6000) / 10;
  process.stdout.write(`\nConveyor chaos suite, ${args.mode} mode: ${totalFaults} faults in ${minutes} min (${os.cpus().length} CPUs)\n\n`);
  process.stdout.write(`${table(results.map((r) => r.row))}\n\n`);
  process.stdout.write(
    `limits: refetch gap <= ${LIMITS.refetchGapMs} ms, errors/s while OOM <= ${LIMITS.oomErrorsPerSecond} and resume <= ${LIMITS.oomResumeMs} ms, start after close <= ${LIMITS.startAfterCloseMs} ms\n`,
  );
  for (const r of results) {
    if (r.missed.length) process.stdout.write(`NOT MET ${r.row.scenario}: ${r.missed.join('; ')}\n`);
    for (const note of r.notes) process.stdout.write(`  note ${r.row.scenario}: ${note}\n`);
  }
  for (const o of overall) process.stdout.write(`NOT MET overall: ${o}\n`);
  if (args.json)
    writeFileSync(args.json, JSON.stringify({ mode: args.mode, totalFaults, minutes, cpus: os.cpus().length, results }, null, 2));
  const failed = results.some((r) => r.missed.length) || overall.length > 0;
  if (!failed && !args.keep) rmSync(root, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  await stopAll(5000);
  process.exitCode = 2;
});
