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

/**
 * The names of BullMQ's key map (`queue.keys`), in its order: every one is `<prefix>:<queue>:<name>`,
 * and '' gives the base itself.
 */
export const BULLMQ_KEY_NAMES = [
  '',
  'active',
  'wait',
  'waiting-children',
  'paused',
  'id',
  'delayed',
  'prioritized',
  'stalled-check',
  'completed',
  'failed',
  'stalled',
  'repeat',
  'limiter',
  'meta',
  'events',
  'pc',
  'marker',
  'de',
] as const;

type BullMQKeyName = (typeof BULLMQ_KEY_NAMES)[number];

/**
 * A queue's keys. Its own enumerable properties are exactly BullMQ's key map (`keys.wait`,
 * `keys['waiting-children']`, `keys['']`...), so code that reads or iterates `queue.keys` works as
 * on BullMQ; the rest (names, helpers, camel-case aliases) lives on the prototype or in private
 * fields and stays out of `Object.keys`.
 */
export class QueueKeys {
  readonly #prefix: string;
  readonly #queueName: string;
  readonly #qualifiedName: string;

  constructor(prefix: string, queueName: string) {
    this.#prefix = prefix;
    this.#queueName = queueName;
    this.#qualifiedName = `${prefix}:${queueName}`;
    const self = this as unknown as Record<BullMQKeyName, string>;
    for (const name of BULLMQ_KEY_NAMES) self[name] = `${this.#qualifiedName}:${name}`;
  }

  get prefix(): string {
    return this.#prefix;
  }

  get queueName(): string {
    return this.#queueName;
  }

  /** `<prefix>:<queue>`: what flows store as a parent's queue. */
  get qualifiedName(): string {
    return this.#qualifiedName;
  }

  /** `<prefix>:<queue>:`: the base every key (and every job key) starts with. */
  get base(): string {
    return this[''];
  }

  key(suffix: QueueKeySuffix | string): string {
    return this[''] + suffix;
  }

  job(jobId: string): string {
    return this[''] + jobId;
  }

  get waitingChildren() { return this['waiting-children']; }
  get stalledCheck() { return this['stalled-check']; }
}

// the key map's properties, set in the constructor (declared here so they are not redefined)
export interface QueueKeys extends Readonly<Record<BullMQKeyName, string>> {}

/** Splits a full job key `<prefix>:<queue>:<id>`; the prefix itself may contain colons. */
export function parseJobKey(jobKey: string): { queueKey: string; queueName: string; jobId: string } {
  const last = jobKey.lastIndexOf(':');
  const queueKey = jobKey.slice(0, last);
  return { queueKey, queueName: queueKey.slice(queueKey.lastIndexOf(':') + 1), jobId: jobKey.slice(last + 1) };
}
