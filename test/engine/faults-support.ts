// Shared by the fault suites: the errors a worker reports while Redis is away or refusing writes,
// and the engine's rule for them (a repeated transient error goes out at most once a second).
import { until } from '../support/wait.js';

export interface Reported {
  at: number;
  message: string;
}

/** Every 'error' the emitter reports, with when. */
export function recordErrors(emitter: { on(event: 'error', listener: (err: Error) => void): unknown }): Reported[] {
  const errors: Reported[] = [];
  emitter.on('error', (err: Error) => errors.push({ at: Date.now(), message: err.message }));
  return errors;
}

/**
 * Waits until some error text has been reported a second time since `from` (the emitter kept
 * trying for at least the repeat window), then checks every text came at most once a second.
 * With `maxPerSecond`, also that all reports together stay under that rate. A loaded machine only
 * makes fewer reports, so neither check can fail for slowness. Resolves with the reports.
 */
export async function expectBoundedRepeats(errors: Reported[], from: number, maxPerSecond?: number): Promise<Reported[]> {
  const since = () => errors.filter((e) => e.at >= from);
  const repeated = () => since().some((e, i, all) => all.findIndex((o) => o.message === e.message) < i);
  await until('an error reported a second time', repeated, Boolean, 10_000);
  const reports = since();
  for (const text of new Set(reports.map((e) => e.message))) {
    const stamps = reports.filter((e) => e.message === text).map((e) => e.at);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeGreaterThanOrEqual(995);
  }
  if (maxPerSecond !== undefined) {
    const seconds = Math.max(Date.now() - reports[0].at, 1000) / 1000;
    expect(reports.length / seconds).toBeLessThan(maxPerSecond);
  }
  return reports;
}
