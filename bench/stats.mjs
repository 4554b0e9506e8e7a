// @ts-check
// Medians over rounds and percentiles over latency samples.

/** @param {number[]} values */
export function median(values) {
  return percentile(values, 50);
}

/**
 * Nearest-rank percentile (p in 0..100) of `values`; NaN for an empty list.
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  if (p === 50 && sorted.length % 2 === 0) {
    // the usual median of an even count: the mean of the two middle values
    const mid = sorted.length / 2;
    return (sorted[mid - 1] + sorted[mid]) / 2;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
