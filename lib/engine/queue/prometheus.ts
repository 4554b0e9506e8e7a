import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';
import type { Metrics, MetricsType } from '../job/metrics.js';

/**
 * Queue.exportPrometheusMetrics: the queue's job counts as a gauge and its completed/failed totals
 * as counters, in Prometheus' text exposition format, line for line as BullMQ prints them (so
 * dashboards and alerts built on BullMQ's series keep working).
 */

/** What the export reads, through the queue itself (so a subclass or a stub can answer). */
export interface PrometheusSource {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
  getMetrics(type: MetricsType): Promise<Metrics>;
}

/** A label value as the exposition format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function checkGlobalVariables(value: unknown): asserts value is Record<string, unknown> | undefined {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConveyorValidationError(`globalVariables must be an object of label names to values, got ${show(value)}`);
  }
}

export async function exportPrometheus(source: PrometheusSource, globalVariables?: Record<string, string>): Promise<string> {
  checkGlobalVariables(globalVariables);
  // every series carries the global labels after its own, as BullMQ appends them
  const extra = Object.entries(globalVariables ?? {})
    .map(([name, value]) => `, ${name}="${escapeLabelValue(String(value))}"`)
    .join('');
  const queue = `queue="${escapeLabelValue(source.name)}"`;
  const [counts, completed, failed] = await Promise.all([
    source.getJobCounts(),
    source.getMetrics('completed'),
    source.getMetrics('failed'),
  ]);
  const lines = [
    '# HELP bullmq_job_count Number of jobs in the queue by state',
    '# TYPE bullmq_job_count gauge',
    ...Object.entries(counts).map(([state, count]) => `bullmq_job_count{${queue}, state="${escapeLabelValue(state)}"${extra}} ${count}`),
    '# HELP bullmq_job_completed_total Total number of completed jobs',
    '# TYPE bullmq_job_completed_total counter',
    `bullmq_job_completed_total{${queue}${extra}} ${Number(completed.meta.count) || 0}`,
    '# HELP bullmq_job_failed_total Total number of failed jobs',
    '# TYPE bullmq_job_failed_total counter',
    `bullmq_job_failed_total{${queue}${extra}} ${Number(failed.meta.count) || 0}`,
  ];
  return lines.join('\n');
}
