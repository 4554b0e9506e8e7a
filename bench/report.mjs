// @ts-check
// The Markdown report: setup, one row per case metric (medians over rounds and the ratio), the
// command mix per job, every round's values, and anything that failed.
import { median } from './stats.mjs';

/**
 * @typedef {import('./cases/case.mjs').BenchCase} BenchCase
 * @typedef {import('./cases/case.mjs').Measurement} Measurement
 * @typedef {import('./sides.mjs').Side} Side
 * @typedef {{ caseId: string, sideId: string, round: string, message: string }} Failure
 * @typedef {{
 *   env: import('./machine.mjs').Environment,
 *   options: import('./options.mjs').BenchOptions,
 *   cases: BenchCase[],
 *   sides: Side[],
 *   measurements: Map<string, Measurement[]>,
 *   failures: Failure[],
 *   warnings: string[],
 *   elapsedS: number,
 * }} RunData
 */

/** @param {string} caseId  @param {string} sideId */
export const sampleKey = (caseId, sideId) => `${caseId}:${sideId}`;

/** @param {number} value  @param {string} unit */
export function formatValue(value, unit) {
  if (!Number.isFinite(value)) return '–';
  if (unit === 'jobs/s') return Math.round(value).toLocaleString('en-US');
  if (unit === 'MB') return value.toFixed(1);
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** @param {Measurement[]} list */
function commandsPerJob(list) {
  const counted = list.filter((m) => m.commands && m.jobs);
  if (counted.length === 0) return undefined;
  const per = (/** @type {(m: Measurement) => number} */ f) => median(counted.map(f));
  return {
    commands: per((m) => (m.commands?.commands ?? 0) / (m.jobs ?? 1)),
    scripts: per((m) => (m.commands?.scripts ?? 0) / (m.jobs ?? 1)),
    last: /** @type {Measurement} */ (counted[counted.length - 1]),
  };
}

/**
 * Two decimals, or two significant digits below 0.1 (a bulk add is 0.001 script calls per job).
 * @param {number} x
 */
export const formatPerJob = (x) => (x === 0 || x >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

/** @param {ReturnType<typeof commandsPerJob>} per */
const formatPer = (per) => (per ? `${formatPerJob(per.commands)} (${formatPerJob(per.scripts)})` : '');

/**
 * How this run was started, quoted so it can be pasted into a shell.
 * @param {string[]} argv
 */
function commandLine(argv) {
  const quote = (/** @type {string} */ arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  const viaNpm = process.env.npm_lifecycle_event === 'bench';
  const args = argv.map(quote).join(' ');
  if (viaNpm) return args ? `npm run bench -- ${args}` : 'npm run bench';
  return args ? `node bench/run.mjs ${args}` : 'node bench/run.mjs';
}

/** @param {RunData} run */
function setupSection({ env, options, sides, elapsedS }) {
  const load = (/** @type {number[]} */ l) => l.map((x) => x.toFixed(2)).join(' / ');
  const order = sides.map((s) => s.label);
  return [
    '| | |',
    '|---|---|',
    `| Date | ${env.date} (run took ${Math.round(elapsedS)} s) |`,
    `| Machine | ${env.cpu}, ${env.cores} cores, ${env.memoryGiB.toFixed(1)} GiB RAM; ${env.platform} |`,
    `| Load average (1/5/15 min) at start; at end | ${load(env.loadAtStart)}; ${load(env.loadAtEnd)} |`,
    `| Node | ${env.node} |`,
    `| Redis | ${env.redis}, ${env.redisSource} |`,
    `| Packages | nestjs-conveyor ${env.conveyor}; bullmq ${env.bullmq}; ioredis ${env.ioredis} |`,
    `| Rounds | ${options.rounds} per case and engine${options.warmup ? ', after one unrecorded warm-up pass' : ''}; order ${order.join(', ')} in odd rounds, reversed in even rounds |`,
    `| Steady case | offered ${options.rate} jobs/s, worker concurrency ${options.steadyConcurrency} |`,
    `| Deep cases | ${options.depth.toLocaleString('en-US')} jobs waiting when the worker starts |`,
    `| Command | \`${commandLine(options.argv)}\` |`,
  ].join('\n');
}

/**
 * The ratio of the two engines within each round (they ran back to back, so a machine that speeds
 * up or slows down between rounds moves both): its median and range.
 * @param {Measurement[]} la  @param {Measurement[]} lb  @param {string} key
 */
function sameRoundRatios(la, lb, key) {
  const ratios = [];
  for (let i = 0; i < Math.min(la.length, lb.length); i++) {
    const x = la[i].values[key];
    const y = lb[i].values[key];
    if (Number.isFinite(x) && Number.isFinite(y) && y !== 0) ratios.push(x / y);
  }
  if (ratios.length === 0) return '–';
  const f = (/** @type {number} */ r) => r.toFixed(2);
  return ratios.length === 1 ? `${f(ratios[0])}×` : `${f(median(ratios))}× (${f(Math.min(...ratios))}–${f(Math.max(...ratios))})`;
}

/** @param {RunData} run */
function resultsTable({ cases, sides, measurements, options }) {
  const [a, b] = sides;
  const rows = [
    `| Case | Metric | N | ${a.label} | ${b.label} | ${a.label}/${b.label} | same-round ratios: median (range) | ${a.label} cmds (scripts) per job | ${b.label} cmds (scripts) per job |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const c of cases) {
    const la = measurements.get(sampleKey(c.id, a.id)) ?? [];
    const lb = measurements.get(sampleKey(c.id, b.id)) ?? [];
    const perA = commandsPerJob(la);
    const perB = commandsPerJob(lb);
    c.metrics.forEach((metric, i) => {
      const ma = median(la.map((m) => m.values[metric.key]));
      const mb = median(lb.map((m) => m.values[metric.key]));
      const ratio = Number.isFinite(ma) && Number.isFinite(mb) && mb !== 0 ? `${(ma / mb).toFixed(2)}×` : '–';
      const arrow = metric.better === 'higher' ? '↑' : '↓';
      const first = i === 0;
      rows.push(
        `| ${first ? c.title : ''} | ${metric.label} (${metric.unit} ${arrow}) | ${first ? options.n[c.id].toLocaleString('en-US') : ''} | ` +
          `${formatValue(ma, metric.unit)} | ${formatValue(mb, metric.unit)} | ${ratio} | ${sameRoundRatios(la, lb, metric.key)} | ` +
          `${first ? formatPer(perA) : ''} | ${first ? formatPer(perB) : ''} |`,
      );
    });
  }
  return rows.join('\n');
}

/** @param {RunData} run */
function commandMix({ cases, sides, measurements }) {
  const lines = [];
  for (const c of cases) {
    if (!c.commandsPer) continue;
    const parts = [];
    for (const side of sides) {
      const per = commandsPerJob(measurements.get(sampleKey(c.id, side.id)) ?? []);
      if (!per?.last.commands || !per.last.jobs) continue;
      const jobs = per.last.jobs;
      const mix = [...per.last.commands.byCommand]
        .sort((x, y) => y[1] - x[1])
        .map(([name, calls]) => `${name} ${formatPerJob(calls / jobs)}`)
        .join(', ');
      parts.push(`  - ${side.label}: ${mix}`);
    }
    if (parts.length) lines.push(`- **${c.title}** (per ${c.commandsPer}):`, ...parts);
  }
  return lines.join('\n');
}

/** @param {RunData} run */
function roundsTable({ cases, sides, measurements }) {
  const rows = [
    '| Case | Metric | ' + sides.map((s) => `${s.label}, each round`).join(' | ') + ' |',
    '|---|---|' + sides.map(() => '---|').join(''),
  ];
  for (const c of cases) {
    for (const metric of c.metrics) {
      const cells = sides.map(
        (s) => (measurements.get(sampleKey(c.id, s.id)) ?? []).map((m) => formatValue(m.values[metric.key], metric.unit)).join(', ') || '–',
      );
      rows.push(`| ${c.id} | ${metric.label} (${metric.unit}) | ${cells.join(' | ')} |`);
    }
  }
  return rows.join('\n');
}

/**
 * @param {RunData} run
 * @returns {string}
 */
export function renderReport(run) {
  const { options, cases, failures, warnings } = run;
  const out = ['# Conveyor vs BullMQ: benchmark results', ''];
  if (options.note) out.push(`> **${options.note}**`, '');
  if (options.quick) out.push('> `--quick` run: tiny N and one round, to check the harness works. The numbers mean nothing.', '');
  if (options.profile) {
    out.push(
      `> \`--profile\` run: the V8 CPU profiler sampled every ${options.profileIntervalUs} µs in every measured region, which slows Node down. ` +
        'Compare the engines within this run only. Profiles and their summaries: SUMMARY.md next to this file.',
      '',
    );
  }
  out.push(
    'Generated by `npm run bench` (`bench/run.mjs`). Both engines ran in this one Node process against the same Redis, alternating case by case. Options: `npm run bench -- --help`.',
    '',
  );
  out.push('## Setup', '', setupSection(run), '');
  out.push(
    '## Results',
    '',
    'Medians over the rounds. Ratio = Conveyor median / BullMQ median: above 1 is better for ↑ metrics, below 1 for ↓ metrics. ' +
      "Same-round ratios divide the two engines' values of one round (measured back to back), so they do not move when the machine speeds up or slows down between rounds; " +
      'their range shows how much a single pair can be trusted. ' +
      '"cmds (scripts) per job" = Redis commands per job from `INFO commandstats` deltas over the measured region, including the commands scripts run ' +
      '(`redis.call`) and the script calls themselves; in brackets the script calls (EVALSHA/EVAL) alone. Per added job for the add cases, per processed job for ' +
      'the process and deep cases (the pre-loading adds are outside the measured region), per job for the steady case. ' +
      'Node and Redis CPU per job: see "What each case measures".',
    '',
    resultsTable(run),
    '',
  );
  if (failures.length) {
    out.push(
      '## Failures',
      '',
      ...failures.map((f) => `- **${f.caseId}**, ${f.sideId}, ${f.round}: ${f.message}`),
      '',
      `Reproduce one case: \`npm run bench -- --quick --cases ${[...new Set(failures.map((f) => f.caseId))].join(',')}\`. A failed case is skipped for that engine in later rounds.`,
      '',
    );
  }
  out.push('## What each case measures', '', ...cases.map((c) => `- **${c.id}** (${c.title}): ${c.what}.`), '');
  out.push(
    "- Throughput cases report jobs/s = N / time of the measured region. Pickup and steady latencies are computed over all samples of a round; the table shows the median of the rounds' percentiles.",
    '- Memory counts everything the adds left in Redis (job hashes, wait list, id counter, events stream capped near 10,000 entries), so small N overstates it.',
    "- **Node CPU per job** (µs): `process.cpuUsage()` (user + system, every thread of the process: GC helpers and libuv's pool too) over the measured region, " +
      'divided by the jobs of the region. Both engines run in this one Node process, one after the other, so the delta belongs to the engine under test: ' +
      'the pre-loading producers finish before the region starts and a forced garbage collection clears their garbage first. ' +
      'CPU time is what a job costs whatever the machine is doing (a process waiting for a core does not accumulate it), so it moves less than throughput on a busy machine, though neighbours still cost cache misses. ' +
      "The harness's own INFO calls are outside the region.",
    "- **Redis CPU per job** (µs): the Redis server's `used_cpu_user + used_cpu_sys` (INFO cpu, all its threads) over the region, divided by the jobs. " +
      "Everything Redis does meanwhile counts: with `--redis-url`, other clients' commands too." +
      ' In the deep cases the worker goes on past the N-th completion until the closing INFO calls are answered: a few jobs against N = 50,000.',
    '- **Deep cases**: the queue is filled to the depth before the region (`bench/fill.mjs`): the engine adds the first job itself, one script copies its hash ' +
      'to the next ids (only `data` differs) and pushes them where the engine put the first (`wait`, or `prioritized` with the scores its next adds would get), ' +
      'and a last add by the engine checks that it lands where the copies predicted, with the same fields. ' +
      "So the jobs are what the engine's own add writes, several times faster than addBulk (BullMQ's adds one job per script call); only their `added`/`waiting` events are not written. " +
      'The prioritized variant gives every job the same priority. `deep-10` (concurrency 10) is opt-in: `--cases deep-10` or `--cases all`.',
    '',
  );
  const mix = commandMix(run);
  if (mix) out.push('## Command mix per job (last round)', '', mix, '');
  out.push('## Every round', '', roundsTable(run), '');
  if (warnings.length) out.push('## Warnings', '', ...warnings.map((w) => `- ${w}`), '');
  return out.join('\n');
}
