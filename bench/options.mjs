// @ts-check
// Command-line options of `npm run bench` (`node bench/run.mjs`).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const USAGE = `Usage: npm run bench -- [options]   (or: node bench/run.mjs [options] after a build)

Conveyor (this repo's dist/) and bullmq against the same Redis, alternating, several rounds.

  --cases <ids>            comma-separated cases (default: all): {CASES}
  --rounds <k>             measured rounds per case and engine (default 5)
  --n <N> | --n <id=N>     jobs (samples for pickup) per case: one number for every case, or
                           per case; repeatable (e.g. --n add=1000 --n bulk=20000)
  --rate <jobs/s>          offered rate of the steady case (default 1000)
  --steady-concurrency <c> worker concurrency of the steady case (default 10)
  --redis-url <url>        use this Redis instead of starting an own redis-server; other
                           clients on it pollute the command counts and memory figures
  --out <file>             where to write the Markdown results (default bench/RESULTS.md)
  --note <text>            a line for the top of the results (e.g. "preliminary: machine busy")
  --conveyor <file>        the built Conveyor entry to load (default dist/index.js)
  --no-warmup              skip the unrecorded warm-up pass before the rounds
  --quick                  tiny N, 1 round, no warm-up, all cases (unless --cases); writes to a
                           temporary file and stdout, never to bench/RESULTS.md
  --help                   this text`;

/**
 * @typedef {{
 *   caseIds: string[],
 *   rounds: number,
 *   n: Record<string, number>,
 *   rate: number,
 *   steadyConcurrency: number,
 *   redisUrl: string | undefined,
 *   out: string,
 *   note: string | undefined,
 *   conveyor: string | undefined,
 *   warmup: boolean,
 *   quick: boolean,
 *   help: boolean,
 *   argv: string[],
 * }} BenchOptions
 */

const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

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
 * @param {{ id: string, fullN: number, quickN: number }[]} cases
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
      rate: { type: 'string' },
      'steady-concurrency': { type: 'string' },
      'redis-url': { type: 'string' },
      out: { type: 'string' },
      note: { type: 'string' },
      conveyor: { type: 'string' },
      'no-warmup': { type: 'boolean' },
      quick: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const quick = values.quick === true;
  const known = cases.map((c) => c.id);
  const caseIds = values.cases
    ? values.cases
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : known;
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
  return {
    caseIds,
    rounds: values.rounds ? integer('--rounds', values.rounds, 1) : quick ? 1 : 5,
    n,
    rate: values.rate ? integer('--rate', values.rate, 1) : 1000,
    steadyConcurrency: values['steady-concurrency'] ? integer('--steady-concurrency', values['steady-concurrency'], 1) : 10,
    redisUrl: values['redis-url'],
    out: values.out ? path.resolve(values.out) : quick ? path.join(os.tmpdir(), `conveyor-bench-quick-${stamp}.md`) : RESULTS_FILE,
    note: values.note,
    conveyor: values.conveyor ? path.resolve(values.conveyor) : undefined,
    warmup: !quick && values['no-warmup'] !== true,
    quick,
    help: values.help === true,
    argv,
  };
}
