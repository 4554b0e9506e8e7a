// @ts-check
// Command-line options of `npm run bench` (`node bench/run.mjs`).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: npm run bench -- [options]   (or: node bench/run.mjs [options] after a build)

Conveyor (this repo's dist/) and bullmq against the same Redis, alternating, several rounds.

  --cases <ids>            comma-separated cases, or "all"; by default every case but the
                           opt-in ones:
                           {CASES}
                           opt-in: {OPT_IN}
  --rounds <k>             measured rounds per case and engine (default 5)
  --n <N> | --n <id=N>     jobs (samples for pickup) per case: one number for every case, or
                           per case; repeatable (e.g. --n add=1000 --n bulk=20000)
  --depth <jobs>           jobs waiting in the deep-* cases (default 1,000,000); N of them are
                           processed
  --rate <jobs/s>          offered rate of the steady case (default 1000)
  --steady-concurrency <c> worker concurrency of the steady case (default 10)
  --redis-url <url>        use this Redis instead of starting an own redis-server; other
                           clients on it pollute the command counts, Redis CPU and memory
  --out <file>             where to write the Markdown results (default bench/RESULTS.md)
  --note <text>            a line for the top of the results (e.g. "preliminary: machine busy")
  --conveyor <file>        the built Conveyor entry to load (default dist/index.js)
  --no-warmup              skip the unrecorded warm-up pass before the rounds
  --profile <dir>          run the V8 CPU profiler over each measured region (one engine at a
                           time, 1 round unless --rounds) and write <case>.<engine>.cpuprofile,
                           a .txt summary of each and SUMMARY.md (where Node's time goes, by
                           package, file and function) to <dir>; the report goes to
                           <dir>/RESULTS.md. The profiler slows Node down: compare engines within
                           a profile run, not against a normal run.
  --profile-interval <µs>  sampling interval of --profile (default 200)
  --quick                  tiny N and --depth, 1 round, no warm-up, every case (the opt-in ones
                           too) unless --cases; writes to a temporary file and stdout, never
                           to bench/RESULTS.md
  --help                   this text`;

/**
 * @typedef {{
 *   caseIds: string[],
 *   rounds: number,
 *   n: Record<string, number>,
 *   depth: number,
 *   rate: number,
 *   steadyConcurrency: number,
 *   redisUrl: string | undefined,
 *   out: string,
 *   note: string | undefined,
 *   conveyor: string | undefined,
 *   warmup: boolean,
 *   profile: string | undefined,
 *   profileIntervalUs: number,
 *   quick: boolean,
 *   help: boolean,
 *   argv: string[],
 * }} BenchOptions
 */

const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

/** --depth of --quick runs and of the warm-up pass. */
export const QUICK_DEPTH = 10_000;

/**
 * The --help text, naming the cases.
 * @param {{ id: string, optIn?: boolean }[]} cases
 */
export function usage(cases) {
  const ids = (/** @type {boolean} */ optIn) => {
    const list = cases.filter((c) => (c.optIn ?? false) === optIn).map((c) => c.id);
    // wrapped under the option's description
    return (
      list.reduce(
        (text, id) =>
          text.length - text.lastIndexOf('\n') + id.length > 66 ? `${text},\n${' '.repeat(27)}${id}` : text ? `${text},${id}` : id,
        '',
      ) || '(none)'
    );
  };
  return USAGE.replace('{CASES}', ids(false)).replace('{OPT_IN}', ids(true));
}

/**
 * @param {string} name
 * @param {string} value
 * @param {number} min
 */
function integer(name, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * @param {string[]} argv
 * @param {{ id: string, fullN: number, quickN: number, optIn?: boolean }[]} cases
 * @returns {BenchOptions}
 */
export function parseOptions(argv, cases) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      cases: { type: 'string' },
      rounds: { type: 'string' },
      n: { type: 'string', multiple: true },
      depth: { type: 'string' },
      rate: { type: 'string' },
      'steady-concurrency': { type: 'string' },
      'redis-url': { type: 'string' },
      out: { type: 'string' },
      note: { type: 'string' },
      conveyor: { type: 'string' },
      'no-warmup': { type: 'boolean' },
      profile: { type: 'string' },
      'profile-interval': { type: 'string' },
      quick: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const quick = values.quick === true;
  const known = cases.map((c) => c.id);
  const caseIds =
    values.cases === 'all' || (quick && !values.cases)
      ? known
      : values.cases
        ? values.cases
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : cases.filter((c) => !c.optIn).map((c) => c.id);
  for (const id of caseIds) {
    if (!known.includes(id)) throw new Error(`--cases: unknown case ${JSON.stringify(id)}; known: ${known.join(', ')}`);
  }

  /** @type {Record<string, number>} */
  const n = Object.fromEntries(cases.map((c) => [c.id, quick ? c.quickN : c.fullN]));
  for (const item of values.n ?? []) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      for (const id of known) n[id] = integer('--n', item, 1);
      continue;
    }
    const id = item.slice(0, eq);
    if (!known.includes(id)) throw new Error(`--n: unknown case ${JSON.stringify(id)}; known: ${known.join(', ')}`);
    n[id] = integer(`--n ${id}`, item.slice(eq + 1), 1);
  }

  if (quick && values.out && path.resolve(values.out) === RESULTS_FILE) {
    throw new Error('--quick never writes bench/RESULTS.md; drop --out or name another file');
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profile = values.profile ? path.resolve(values.profile) : undefined;
  const defaultOut = profile
    ? path.join(profile, 'RESULTS.md')
    : quick
      ? path.join(os.tmpdir(), `conveyor-bench-quick-${stamp}.md`)
      : RESULTS_FILE;
  const depth = values.depth ? integer('--depth', values.depth, 2) : quick ? QUICK_DEPTH : 1_000_000;
  for (const id of caseIds) {
    if (id.startsWith('deep-') && n[id] > depth) throw new Error(`--n ${id}=${n[id]} is more than --depth ${depth} jobs waiting`);
  }
  return {
    caseIds,
    rounds: values.rounds ? integer('--rounds', values.rounds, 1) : quick || profile ? 1 : 5,
    n,
    depth,
    rate: values.rate ? integer('--rate', values.rate, 1) : 1000,
    steadyConcurrency: values['steady-concurrency'] ? integer('--steady-concurrency', values['steady-concurrency'], 1) : 10,
    redisUrl: values['redis-url'],
    out: values.out ? path.resolve(values.out) : defaultOut,
    note: values.note,
    conveyor: values.conveyor ? path.resolve(values.conveyor) : undefined,
    warmup: !quick && values['no-warmup'] !== true,
    profile,
    profileIntervalUs: values['profile-interval'] ? integer('--profile-interval', values['profile-interval'], 1) : 200,
    quick,
    help: values.help === true,
    argv,
  };
}
