// The reliability targets, applied to one scenario's row; and the table the CLI prints.

export const LIMITS = {
  refetchGapMs: 100,
  oomResumeMs: 100,
  /** "at most a few errors a second per worker" */
  oomErrorsPerSecond: 5,
  startAfterCloseMs: 250,
};

/**
 * Derives the row (table figures) and the list of missed targets from a scenario's check result,
 * its metrics and its ledger.
 */
export function evaluate(scenario, ctx, result, records, requestedFaults) {
  const m = ctx.metrics;
  const derived = fromLedger(ctx.faults, records, scenario.maxStalledCount);
  const row = {
    scenario: scenario.name,
    faults: ctx.faults.length,
    acknowledged: result.acknowledged,
    completed: result.completed,
    failed: result.failed,
    lost: result.lost,
    unexpected: result.unexpected,
    duplicated: result.duplicated,
    stuck: result.stuck,
    halfWritten: result.halfWritten,
    refetchMaxMs: max(m.refetchGaps),
    oomErrorsPerSecond: max(m.oomErrorRates),
    oomResumeMaxMs: max(m.oomResumeGaps),
    startAfterCloseMaxMs: derived.startAfterCloseMaxMs,
  };
  const missed = [];
  const need = (ok, text) => ok || missed.push(text);
  need(row.faults >= requestedFaults, `${row.faults} of ${requestedFaults} faults injected`);
  need(result.lost === 0, `${result.lost} lost`);
  need(result.unexpected === 0, `${result.unexpected} unexpected`);
  need(result.stuck === 0, `${result.stuck} stuck in active`);
  need(result.halfWritten === 0, `${result.halfWritten} half-written`);
  need(result.finishedTwice === 0, `${result.finishedTwice} finished twice`);
  if (!scenario.allowDuplicates) need(result.duplicated === 0, `${result.duplicated} duplicated where no lock expired`);
  // jobs the stalled checker recovered; where no lock can run out, each one waited lockDuration for nothing
  if (scenario.maxStalled !== undefined) need(result.stalled <= scenario.maxStalled, `${result.stalled} stalled`);
  if (scenario.zeroStalled) {
    need(result.stalled === 0, `${result.stalled} stalled`);
    need(m.leftActiveByClose === 0, `${m.leftActiveByClose} left in active by close()`);
    need(m.hungCloses === 0, `${m.hungCloses} worker(s) did not exit after close()`);
  }
  if (row.startAfterCloseMaxMs !== undefined) {
    need(row.startAfterCloseMaxMs <= LIMITS.startAfterCloseMs, `a job started ${row.startAfterCloseMaxMs} ms after close() began`);
  }
  if (scenario.refetchTarget) {
    need(m.refetchGaps.length > 0, 'no refetch measured');
    need(
      !(row.refetchMaxMs > LIMITS.refetchGapMs),
      `refetch gap up to ${row.refetchMaxMs} ms (p50 ${pct(m.refetchGaps, 50)}, p90 ${pct(m.refetchGaps, 90)}, ${m.refetchGaps.filter((g) => g > LIMITS.refetchGapMs).length}/${m.refetchGaps.length} over ${LIMITS.refetchGapMs})`,
    );
  }
  if (scenario.oomTarget) {
    need(m.oomErrorRates.length > 0, 'no worker saw Redis refuse writes');
    need(!(row.oomErrorsPerSecond > LIMITS.oomErrorsPerSecond), `${round(row.oomErrorsPerSecond)} errors/s from one worker while OOM`);
    need(m.oomResumeGaps.length > 0, 'no resume measured after OOM');
    need(
      !(row.oomResumeMaxMs > LIMITS.oomResumeMs),
      `resumed up to ${row.oomResumeMaxMs} ms after Redis accepted writes (${m.oomResumeGaps.join(', ')})`,
    );
  }
  if (scenario.recoveryBudgetMs) {
    need(
      derived.unrecovered === 0,
      `${derived.unrecovered} killed job(s) never ran again (and were not killed more than maxStalledCount times)`,
    );
    need(
      !(derived.recoveryMaxMs > scenario.recoveryBudgetMs),
      `a killed job ran again only after ${derived.recoveryMaxMs} ms (budget ${scenario.recoveryBudgetMs})`,
    );
  }
  if (scenario.name === 'kill-after-return')
    need(derived.notRerun === 0, `${derived.notRerun} job(s) killed after return were not run again`);
  if (scenario.name === 'worker-sigstop') need(!m.missedRefusals, `${m.missedRefusals} late finish(es) of the frozen worker not refused`);
  return { row, missed, derived };
}

/**
 * Figures that come from the ledger: close() vs job starts, recovery of killed jobs. A job killed
 * more than `maxStalledCount` times is failed by the next worker without running (as designed), so
 * its last kill is not expected to be followed by a run.
 */
function fromLedger(faults, records, maxStalledCount = Infinity) {
  const runsByPid = new Map();
  const runsById = new Map();
  const returnsById = new Map();
  const push = (map, key, value) => map.set(key, [...(map.get(key) ?? []), value]);
  for (const r of records) {
    if (r.t === 'run') {
      push(runsByPid, r.pid, r);
      push(runsById, String(r.id), r);
    } else if (r.t === 'returned') push(returnsById, String(r.id), r);
  }
  let startAfterCloseMaxMs;
  for (const r of records) {
    if (r.t !== 'close-begin') continue;
    const late = (runsByPid.get(r.pid) ?? []).filter((run) => run.at > r.at).map((run) => run.at - r.at);
    startAfterCloseMaxMs = Math.max(startAfterCloseMaxMs ?? 0, ...late);
  }
  const recoveries = [];
  let unrecovered = 0;
  let failedAfterStalls = 0;
  let notRerun = 0;
  const kills = new Map();
  for (const f of faults) if (f.recoverJob !== undefined) kills.set(String(f.recoverJob), (kills.get(String(f.recoverJob)) ?? 0) + 1);
  for (const f of faults) {
    if (f.recoverJob !== undefined) {
      const next = (runsById.get(String(f.recoverJob)) ?? []).filter((run) => run.at >= f.at).sort((a, b) => a.at - b.at)[0];
      if (next) recoveries.push(next.at - f.at);
      else if (kills.get(String(f.recoverJob)) > maxStalledCount) failedAfterStalls += 1;
      else unrecovered += 1;
    }
    if (f.rerunJob !== undefined) {
      const again = (returnsById.get(String(f.rerunJob)) ?? []).some((ret) => ret.pid !== f.victim && ret.at >= f.at);
      if (!again) notRerun += 1;
    }
  }
  return { startAfterCloseMaxMs, recoveryMaxMs: max(recoveries), recoveries, unrecovered, failedAfterStalls, notRerun };
}

export function max(values) {
  return values.length ? Math.max(...values) : undefined;
}

export function pct(values, p) {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function round(n) {
  return n === undefined ? undefined : Math.round(n * 10) / 10;
}

const COLUMNS = [
  ['scenario', 'scenario'],
  ['faults', 'faults'],
  ['acknowledged', 'acked'],
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['lost', 'lost'],
  ['unexpected', 'unexpected'],
  ['duplicated', 'duplicated'],
  ['stuck', 'stuck'],
  ['halfWritten', 'half-written'],
  ['refetchMaxMs', 'max refetch gap ms'],
  ['oomErrorsPerSecond', 'errors/s while OOM'],
  ['oomResumeMaxMs', 'max resume after OOM ms'],
  ['startAfterCloseMaxMs', 'max start-after-close ms'],
  ['verdict', 'targets'],
];

/** A Markdown table (readable in a terminal too). */
export function table(rows) {
  const cells = rows.map((r) => COLUMNS.map(([key]) => show(r[key])));
  const head = COLUMNS.map(([, label]) => label);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

function show(value) {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return String(round(value));
  return String(value);
}
