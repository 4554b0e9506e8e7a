// @ts-check
// What --profile writes: per case, engine (and round, when there are several) a .cpuprofile (open
// it in Chrome DevTools or VS Code), its .meta.json (the job count profile-summary.mjs divides by)
// and a .txt summary; at the end SUMMARY.md with every profile's groups side by side.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatComparison, formatSummary, summarizeProfile } from './profile-summary.mjs';

export class ProfileOutput {
  /**
   * @param {string} dir
   * @param {{ rounds: number, intervalUs: number }} how
   */
  constructor(dir, { rounds, intervalUs }) {
    this.dir = dir;
    this.rounds = rounds;
    this.intervalUs = intervalUs;
    /** @type {{ summary: import('./profile-summary.mjs').ProfileSummary, text: string }[]} */
    this.done = [];
    mkdirSync(dir, { recursive: true });
  }

  /**
   * @param {import('./profile-summary.mjs').CpuProfile} profile
   * @param {{ caseId: string, side: import('./sides.mjs').Side, round: number, m: import('./cases/case.mjs').Measurement }} what
   * @returns {string} the .cpuprofile written
   */
  save(profile, { caseId, side, round, m }) {
    const base = `${caseId}.${side.id}${this.rounds > 1 ? `.r${round}` : ''}`;
    const label = `${caseId}, ${side.label}${this.rounds > 1 ? `, round ${round}` : ''}`;
    const file = path.join(this.dir, `${base}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const nodeCpu = m.values.nodeCpu;
    writeFileSync(
      path.join(this.dir, `${base}.meta.json`),
      `${JSON.stringify({ label, jobs: m.jobs, nodeCpuUsPerJob: nodeCpu }, null, 2)}\n`,
    );
    const summary = summarizeProfile(profile, { label, jobs: m.jobs });
    const note = Number.isFinite(nodeCpu)
      ? `Node CPU (process.cpuUsage, all threads, under the profiler): ${nodeCpu.toFixed(1)} µs per job.`
      : undefined;
    const text = formatSummary(summary, { note });
    writeFileSync(path.join(this.dir, `${base}.txt`), `${text}\n`);
    this.done.push({ summary, text });
    return file;
  }

  /** Writes SUMMARY.md; returns its path, or undefined when nothing was profiled. */
  finish() {
    if (this.done.length === 0) return undefined;
    const file = path.join(this.dir, 'SUMMARY.md');
    const body = [
      '# Where Node time goes (V8 CPU profiles of the measured regions)',
      '',
      `Written by \`npm run bench -- --profile\`; sampling every ${this.intervalUs} µs. Self time: the time a sample found that ` +
        'function on top of the stack. Busy = every sample but `(idle)` (the event loop waiting for Redis). ' +
        '"native" is C++ functions of Node and V8 called from JavaScript (`writeBuffer`/`writev`: socket writes; `utf8Write`/`utf8Slice`: ' +
        'string encoding; `runMicrotasks`: promise reactions); "program" is time outside any JavaScript function (the event ' +
        "loop's own work between callbacks, compilation); GC is the main thread's share of garbage collection. " +
        'The µs per job are sample time, i.e. wall time of the main thread: on a busy machine they include time it waited for a core, so compare ' +
        'shares across engines, and take CPU per job from process.cpuUsage (the note under each profile, and RESULTS.md). ' +
        'Summaries of one profile: `node bench/profile-summary.mjs <file>.cpuprofile`.',
      '',
      formatComparison(this.done.map((d) => d.summary)),
      ...this.done.map((d) => d.text),
    ].join('\n');
    writeFileSync(file, body);
    return file;
  }
}
