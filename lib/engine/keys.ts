/**
 * Every Redis key name of a queue, in one place. Layout: `<prefix>:<queue>:<suffix>` (BullMQ's).
 */
export const QUEUE_KEY_SUFFIXES = [
  'wait',
  'paused', // legacy v5 list; only read, never written
  'active',
  'prioritized',
  'pc', // priority counter
  'delayed',
  'completed',
  'failed',
  'waiting-children',
  'marker',
  'meta',
  'events',
  'id', // job id counter
  'stalled',
  'stalled-check',
  'limiter',
  'repeat',
  'de', // deduplication keys are `de:<id>`
  'metrics',
] as const;

export type QueueKeySuffix = (typeof QUEUE_KEY_SUFFIXES)[number];

export class QueueKeys {
  /** `<prefix>:<queue>`: what flows store as a parent's queue. */
  readonly qualifiedName: string;
  /** `<prefix>:<queue>:`: the base every key (and every job key) starts with. */
  readonly base: string;

  constructor(
    readonly prefix: string,
    readonly queueName: string,
  ) {
    this.qualifiedName = `${prefix}:${queueName}`;
    this.base = `${this.qualifiedName}:`;
  }

  key(suffix: QueueKeySuffix | string): string {
    return this.base + suffix;
  }

  job(jobId: string): string {
    return this.base + jobId;
  }

  get wait() { return this.key('wait'); }
  get paused() { return this.key('paused'); }
  get active() { return this.key('active'); }
  get prioritized() { return this.key('prioritized'); }
  get pc() { return this.key('pc'); }
  get delayed() { return this.key('delayed'); }
  get completed() { return this.key('completed'); }
  get failed() { return this.key('failed'); }
  get waitingChildren() { return this.key('waiting-children'); }
  get marker() { return this.key('marker'); }
  get meta() { return this.key('meta'); }
  get events() { return this.key('events'); }
  get id() { return this.key('id'); }
  get stalled() { return this.key('stalled'); }
  get stalledCheck() { return this.key('stalled-check'); }
  get limiter() { return this.key('limiter'); }
  get repeat() { return this.key('repeat'); }
}

/** Splits a full job key `<prefix>:<queue>:<id>`; the prefix itself may contain colons. */
export function parseJobKey(jobKey: string): { queueKey: string; queueName: string; jobId: string } {
  const last = jobKey.lastIndexOf(':');
  const queueKey = jobKey.slice(0, last);
  return { queueKey, queueName: queueKey.slice(queueKey.lastIndexOf(':') + 1), jobId: jobKey.slice(last + 1) };
}
