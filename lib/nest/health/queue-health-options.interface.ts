/** Limits for one queue; crossing one reports the indicator `down` with the numbers. */
export interface QueueThresholds {
  /** Down when more jobs than this are ready and not yet started (`wait` + `prioritized`). */
  maxWaiting?: number;
  /** Down when more than `count` jobs failed (for good) in the last `withinMinutes` minutes. */
  maxFailed?: { count: number; withinMinutes: number };
}

export interface QueueHealthCheckOptions {
  /** The `forRoot` connection to check. @default 'default' */
  configKey?: string;
  /** How long Redis (and each count) may take to answer, ms. @default 1000 */
  timeoutMs?: number;
  /** Report `down` unless every worker on the connection is running. @default true */
  checkWorkers?: boolean;
  /** Thresholds by queue name (the queues must be registered on the connection). */
  queues?: Record<string, QueueThresholds>;
}

/** What the indicator reports under its key, besides `status`. */
export interface QueueHealthDetails {
  redis: { status: 'up' | 'down'; server: string; latencyMs?: number; message?: string };
  workers: Record<string, 'running' | 'paused' | 'stopped' | 'closed'>;
  queues: Record<string, { waiting?: number; failed?: number; withinMinutes?: number; message?: string }>;
  /** Why the indicator is down, one sentence each; empty when up. */
  problems: string[];
  [key: string]: unknown;
}
