// @ts-check
// Everything one measurement opens: queue names (their keys are deleted afterwards) and engine
// objects (closed workers first, then queues; a close that hangs is cut short by disconnect()).
import { randomUUID } from 'node:crypto';
import { PREFIX } from './sides.mjs';
import { withTimeout } from './waiting.mjs';

/** @typedef {{ close(): Promise<void>, disconnect(): Promise<void>, on(event: string, listener: (...args: any[]) => void): unknown }} Closable */

const CLOSE_TIMEOUT_MS = 10_000;
const RUN_ID = randomUUID().slice(0, 6);

export class Scope {
  /**
   * @param {import('./redis-admin.mjs').RedisAdmin} admin
   * @param {string} label  case and side, used in queue names
   */
  constructor(admin, label) {
    this.admin = admin;
    this.label = label;
    /** @type {string[]} */
    this.queueNames = [];
    /** @type {Closable[]} */
    this.closables = [];
    /** @type {string | undefined} the last `error` an engine object emitted */
    this.lastError = undefined;
    /** @type {string[]} problems worth reporting that did not fail the measurement */
    this.warnings = [];
  }

  /** A queue name no other measurement (or other run on a shared Redis) uses. */
  queueName() {
    const name = `bench-${RUN_ID}-${this.label}-${this.queueNames.length + 1}`;
    this.queueNames.push(name);
    return name;
  }

  /**
   * @template {Closable} T
   * @param {T} thing
   * @returns {T}
   */
  track(thing) {
    this.closables.push(thing);
    // an unhandled 'error' would end the process; keep it for the failure message instead
    thing.on('error', (/** @type {unknown} */ err) => {
      this.lastError = err instanceof Error ? err.message : String(err);
    });
    return thing;
  }

  async close() {
    for (const thing of this.closables.reverse()) {
      try {
        await withTimeout(thing.close(), CLOSE_TIMEOUT_MS, `close() of ${thing.constructor.name}`);
      } catch (err) {
        this.warnings.push(`${this.label}: ${err instanceof Error ? err.message : String(err)}; disconnected instead`);
        await thing.disconnect().catch(() => {});
      }
    }
    this.closables = [];
    await this.admin.removeQueues(PREFIX, this.queueNames);
    this.queueNames = [];
  }
}
