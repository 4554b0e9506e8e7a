/**
 * Every Redis key name of a queue, in one place (docs/wire-format.md §1). The TypeScript engine
 * builds its keys from the tables below; for the Lua scripts, the script loader generates the
 * include `includes/keys` from them and replaces `QK.<name>` / `JK.<name>` by these strings (see
 * lua-keys.ts). No other file spells a suffix.
 */

/**
 * A queue's own keys, `<prefix>:<queue>:<suffix>`, by the name the engine uses for them (also the
 * field names of the Lua `Q` table, `repeat` being `Q.repeat_` there: a Lua keyword).
 */
export const QUEUE_KEY = {
  wait: 'wait',
  paused: 'paused', // legacy v5 list; only read and emptied, never written
  active: 'active',
  prioritized: 'prioritized',
  pc: 'pc', // priority counter
  delayed: 'delayed',
  completed: 'completed',
  failed: 'failed',
  waitingChildren: 'waiting-children',
  marker: 'marker',
  meta: 'meta',
  events: 'events',
  id: 'id', // job id counter
  stalled: 'stalled',
  stalledCheck: 'stalled-check',
  limiter: 'limiter',
  repeat: 'repeat', // job schedulers: scheduler id -> next iteration time
} as const;

export type QueueKeyName = keyof typeof QUEUE_KEY;
export type QueueKeySuffix = (typeof QUEUE_KEY)[QueueKeyName];

/** Families of queue keys that end with an id: `<prefix>:<queue>:<family><id>`. */
export const QUEUE_KEY_FAMILY = {
  dedup: 'de:', // de:<deduplication id> -> the id of the job that owns it
  dedupNext: 'dn:', // dn:<deduplication id> -> the add keepLastIfActive holds back
  scheduler: 'repeat:', // repeat:<scheduler id> -> its definition; iteration job ids start so too
  metrics: 'metrics:', // metrics:<completed|failed> -> counters; with METRICS_DATA, the data points
} as const;

export type QueueKeyFamily = keyof typeof QUEUE_KEY_FAMILY;

/**
 * How a job scheduler's iteration job ids start, `repeat:<scheduler id>:<millis>`: an iteration's
 * hash sits in the scheduler family, beside `repeat:<scheduler id>`.
 */
export const SCHEDULER_ITERATION_ID_PREFIX = QUEUE_KEY_FAMILY.scheduler;

/** `metrics:<target>` + this: the list of per-minute data points. */
export const METRICS_DATA = ':data';

/** Keys older BullMQ versions wrote; only ever deleted (removeDeprecatedPriorityKey, obliterate). */
export const LEGACY_QUEUE_KEY = {
  priority: 'priority',
  delay: 'delay',
} as const;

/** A job's keys beside its hash `<prefix>:<queue>:<id>`: the job key followed by the suffix. */
export const JOB_KEY = {
  lock: ':lock',
  logs: ':logs',
  dependencies: ':dependencies', // pending children's job keys
  processed: ':processed', // child job key -> its return value
  failed: ':failed', // child job key -> its failed reason (failures the parent ignores)
  unsuccessful: ':unsuccessful', // child job key -> when it failed (failParentOnFailure)
} as const;

export type JobKeyName = keyof typeof JOB_KEY;

/** `<job key>:<suffix>` for one of the job's own keys. */
export function jobSubKey(jobKey: string, name: JobKeyName): string {
  return jobKey + JOB_KEY[name];
}

/**
 * The names of BullMQ's key map (`queue.keys`), in its order: every one is `<prefix>:<queue>:<name>`,
 * and '' gives the base itself. `de` is the dedup family's name without its colon: BullMQ lists it,
 * though only `de:<id>` keys exist.
 */
export const BULLMQ_KEY_NAMES = [
  '',
  QUEUE_KEY.active,
  QUEUE_KEY.wait,
  QUEUE_KEY.waitingChildren,
  QUEUE_KEY.paused,
  QUEUE_KEY.id,
  QUEUE_KEY.delayed,
  QUEUE_KEY.prioritized,
  QUEUE_KEY.stalledCheck,
  QUEUE_KEY.completed,
  QUEUE_KEY.failed,
  QUEUE_KEY.stalled,
  QUEUE_KEY.repeat,
  QUEUE_KEY.limiter,
  QUEUE_KEY.meta,
  QUEUE_KEY.events,
  QUEUE_KEY.pc,
  QUEUE_KEY.marker,
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

  /** One of a job's own keys beside its hash: `<base><jobId>:lock`, `...:logs`... */
  jobSub(jobId: string, name: JobKeyName): string {
    return this[''] + jobId + JOB_KEY[name];
  }

  /** A key of a family: `<base>de:<id>`, `<base>repeat:<id>`, `<base>metrics:<target>`... */
  family(family: QueueKeyFamily, id: string): string {
    return this[''] + QUEUE_KEY_FAMILY[family] + id;
  }

  get waitingChildren() {
    return this['waiting-children'];
  }
  get stalledCheck() {
    return this['stalled-check'];
  }
}

// the key map's properties, set in the constructor (declared here so they are not redefined)
export interface QueueKeys extends Readonly<Record<BullMQKeyName, string>> {}

/** Splits a full job key `<prefix>:<queue>:<id>`; the prefix itself may contain colons. */
export function parseJobKey(jobKey: string): { queueKey: string; queueName: string; jobId: string } {
  const last = jobKey.lastIndexOf(':');
  const queueKey = jobKey.slice(0, last);
  return { queueKey, queueName: queueKey.slice(queueKey.lastIndexOf(':') + 1), jobId: jobKey.slice(last + 1) };
}
