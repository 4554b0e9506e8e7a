// Rate limits checked by when jobs started: only lower bounds (a loaded machine starts jobs later,
// never earlier), with the small tolerance a worker's clock reading needs.

/** How far a start may seem early: a worker takes `now` just before its fetch reaches Redis. */
export const TOLERANCE_MS = 120;

/**
 * With at most `max` starts per window of `duration` ms, and every window opening at least
 * `duration` after the previous one, the (k·max)-th start is at least k·duration after the first.
 */
export function expectRate(starts: number[], max: number, duration: number): void {
  const sorted = [...starts].sort((a, b) => a - b);
  for (let k = 1; k * max < sorted.length; k++) {
    expect(sorted[k * max] - sorted[0]).toBeGreaterThanOrEqual(k * duration - TOLERANCE_MS);
  }
}

/** Simulated work: keeps a job busy for a moment (not a test synchronisation). */
export const work = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
