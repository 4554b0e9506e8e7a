#!/usr/bin/env node
// @ts-check
// Where Node's time goes, from V8 .cpuprofile files (`npm run bench -- --profile <dir>` writes them,
// as does `node --cpu-prof`): self time grouped by package (conveyor's dist/, ioredis, bullmq, node
// internals, GC, ...), by file and by function, as a share of the busy (non-idle) time and in µs per
// job. Usage: node bench/profile-summary.mjs [--jobs N] [--top K] <file.cpuprofile>...
// With several files it also prints the groups side by side. The job count comes from --jobs or
// from the `<name>.meta.json` the bench writes next to each profile.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number, columnNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], startTime: number, endTime: number, samples?: number[], timeDeltas?: number[] }} CpuProfile
 * @typedef {{ name: string, us: number }} Entry
 * @typedef {{
 *   label: string, jobs: number | undefined, totalUs: number, idleUs: number, busyUs: number,
 *   groups: Entry[], files: Entry[], functions: Entry[],
 * }} ProfileSummary
 */

/** Pseudo-frames V8 puts in every profile. */
const SPECIAL = new Map([
  ['(garbage collector)', 'GC'],
  ['(program)', 'program'],
  ['(idle)', 'idle'],
  ['(root)', 'root'],
]);

/**
 * The package (or kind of code) and the file a frame belongs to.
 * @param {CallFrame} frame
 * @returns {{ group: string, file: string }}
 */
export function classify({ functionName, url }) {
  if (!url) {
    const special = SPECIAL.get(functionName);
    return special ? { group: special, file: special } : { group: 'native', file: '(native)' };
  }
  if (url.startsWith('node:')) return { group: 'node internals', file: url };
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inModules = file.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const rest = file.slice(inModules + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return { group: pkg, file: rest.join('/') };
  }
  const dist = file.lastIndexOf('/dist/');
  if (dist >= 0) return { group: 'conveyor', file: file.slice(dist + 1) };
  const bench = file.lastIndexOf('/bench/');
  if (bench >= 0) return { group: 'bench harness', file: file.slice(bench + 1) };
  return { group: 'other', file };
}

/**
 * Self time (µs) of every profile node: each sample is charged the time until the next one.
 * @param {CpuProfile} profile
 */
function selfTimes(profile) {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  /** @type {Map<number, number>} */
  const self = new Map();
  let at = profile.startTime;
  const stamps = deltas.map((d) => (at += d));
  for (let i = 0; i < samples.length; i++) {
    const next = i + 1 < samples.length ? stamps[i + 1] : profile.endTime;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, next - stamps[i]));
  }
  return self;
}

/** @param {Map<string, number>} map  @returns {Entry[]} */
const sorted = (map) => [...map].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us);

/**
 * @param {CpuProfile} profile
 * @param {{ label: string, jobs?: number }} about
 * @returns {ProfileSummary}
 */
export function summarizeProfile(profile, { label, jobs }) {
  const self = selfTimes(profile);
  /** @type {Map<string, number>} */ const groups = new Map();
  /** @type {Map<string, number>} */ const files = new Map();
  /** @type {Map<string, number>} */ const functions = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { group, file } = classify(node.callFrame);
    if (group === 'idle') {
      idleUs += us;
      continue;
    }
    const add = (/** @type {Map<string, number>} */ m, /** @type {string} */ k) => m.set(k, (m.get(k) ?? 0) + us);
    add(groups, group);
    add(files, group === file ? group : `${file}`);
    const { functionName, url, lineNumber } = node.callFrame;
    add(
      functions,
      url
        ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
        : SPECIAL.has(functionName)
          ? functionName
          : `${functionName || '(anonymous)'} (native)`,
    );
  }
  return {
    label,
    jobs,
    totalUs,
    idleUs,
    busyUs: totalUs - idleUs,
    groups: sorted(groups),
    files: sorted(files),
    functions: sorted(functions),
  };
}

/** @param {number} us */
const ms = (us) => `${(us / 1000).toFixed(0)} ms`;

/**
 * @param {ProfileSummary} s
 * @param {Entry} e
 */
function cells(s, e) {
  const share = `${((100 * e.us) / (s.busyUs || 1)).toFixed(1)}%`;
  return s.jobs ? `${share} | ${(e.us / s.jobs).toFixed(2)}` : share;
}

/**
 * Markdown: the groups, the top files and the top functions of one profile.
 * @param {ProfileSummary} s
 * @param {{ top?: number, note?: string }} [options]
 */
export function formatSummary(s, { top = 20, note } = {}) {
  const perJob = s.jobs ? ' | µs per job' : '';
  const rule = s.jobs ? '|--:|--:|' : '|--:|';
  const table = (/** @type {string} */ head, /** @type {Entry[]} */ entries) => [
    `| ${head} | % of busy${perJob} |`,
    `|---${rule}`,
    ...entries.map((e) => `| ${e.name.replace(/\|/g, '\\|')} | ${cells(s, e)} |`),
  ];
  return [
    `### ${s.label}${s.jobs ? `: ${s.jobs.toLocaleString('en-US')} jobs` : ''}`,
    '',
    `Profiled ${ms(s.totalUs)}: busy ${ms(s.busyUs)}${s.jobs ? ` (${(s.busyUs / s.jobs).toFixed(1)} µs per job)` : ''}, idle ${ms(s.idleUs)}.` +
      (note ? ` ${note}` : ''),
    '',
    ...table('Group (self time)', s.groups),
    '',
    ...table(`Top ${top} files`, s.files.slice(0, top)),
    '',
    ...table(`Top ${top} functions`, s.functions.slice(0, top)),
    '',
  ].join('\n');
}

/**
 * Markdown: the groups of several profiles side by side (µs per job when every profile knows its
 * jobs, else % of busy).
 * @param {ProfileSummary[]} list
 */
export function formatComparison(list) {
  const perJob = list.every((s) => s.jobs);
  const names = [...new Set(list.flatMap((s) => s.groups.map((g) => g.name)))];
  const value = (/** @type {ProfileSummary} */ s, /** @type {string} */ name) => {
    const us = s.groups.find((g) => g.name === name)?.us ?? 0;
    return perJob ? (us / /** @type {number} */ (s.jobs)).toFixed(2) : `${((100 * us) / (s.busyUs || 1)).toFixed(1)}%`;
  };
  const total = (/** @type {ProfileSummary} */ s) => (perJob ? (s.busyUs / /** @type {number} */ (s.jobs)).toFixed(2) : '100%');
  // the groups that weigh most across the profiles first
  const weight = (/** @type {string} */ name) =>
    list.reduce((t, s) => t + (s.groups.find((g) => g.name === name)?.us ?? 0) / (s.busyUs || 1), 0);
  names.sort((a, b) => weight(b) - weight(a));
  return [
    `Self time by group, ${perJob ? 'µs per job' : '% of busy time'}:`,
    '',
    `| Group | ${list.map((s) => s.label).join(' | ')} |`,
    `|---|${list.map(() => '--:|').join('')}`,
    ...names.map((name) => `| ${name} | ${list.map((s) => value(s, name)).join(' | ')} |`),
    `| **busy (all groups)** | ${list.map((s) => `**${total(s)}**`).join(' | ')} |`,
    '',
  ].join('\n');
}

/** @param {string} file */
function readMeta(file) {
  const meta = file.replace(/\.cpuprofile$/, '.meta.json');
  return existsSync(meta) ? /** @type {{ label?: string, jobs?: number }} */ (JSON.parse(readFileSync(meta, 'utf8'))) : {};
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { jobs: { type: 'string' }, top: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help || positionals.length === 0) {
    console.log('Usage: node bench/profile-summary.mjs [--jobs N] [--top K] <file.cpuprofile>...');
    return values.help ? 0 : 2;
  }
  const top = values.top ? Number(values.top) : 20;
  const summaries = positionals.map((file) => {
    const meta = readMeta(file);
    const jobs = values.jobs ? Number(values.jobs) : meta.jobs;
    const profile = /** @type {CpuProfile} */ (JSON.parse(readFileSync(file, 'utf8')));
    return summarizeProfile(profile, { label: meta.label ?? path.basename(file, '.cpuprofile'), jobs });
  });
  if (summaries.length > 1) console.log(formatComparison(summaries));
  for (const s of summaries) console.log(formatSummary(s, { top }));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
