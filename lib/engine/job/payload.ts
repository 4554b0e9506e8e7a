import type { DeduplicationOptions, JobsOptions, ParentOptions } from '../core/job-options.js';
import { encodeStoredOptions } from '../core/stored-options.js';

/**
 * A job as the add scripts take it: lua/addJobs.lua reads one per job of an add, lua/addFlow.lua
 * one per flow node (flow/flow-nodes.ts adds the node's fields). Queue.add & co. and flows build it
 * here alike, so both write the same job hash (wire-format §2).
 */
export interface JobPayload {
  name: string;
  /** The data as JSON. */
  data: string;
  /** The options as the hash stores them (core/stored-options.ts). */
  opts: string;
  /** These three as scriptNumber gives them. */
  timestamp: number | string;
  delay: number | string;
  priority: number | string;
  lifo?: true;
  /** A custom id, or one reserved before the add (ids.ts). */
  id?: string;
  /** The add's counter value was reserved beforehand (ids.ts): the script must not INCR. */
  rid?: 1;
  /** The job scheduler (or legacy repeatable) the job belongs to; stored as `rjk`. */
  rjk?: string;
  parentKey?: string;
  /** The parent reference as JSON (`parent` field). */
  parent?: string;
  de?: DeduplicationOptions;
}

/** The parent a child names in its `parent` field; its flags say what the child's failure does to it. */
export interface ParentReference {
  id: string;
  queueKey: string;
  fpof?: boolean;
  cpof?: boolean;
  idof?: boolean;
  rdof?: boolean;
}

/** A number as the add scripts take it; BullMQ's producer treats anything else as none. */
function finiteOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * A number as the add scripts take it. Redis formats a number a script hands to a command
 * ("%.17g" on Redis 7.0; newer versions may print the shortest exact form), which costs about as
 * much as the argument itself, and every add writes three (timestamp, delay, priority). An integer
 * below 1e14 prints the same digits in JavaScript and in any of those, so it goes as text and is
 * written as it is. Anything else goes as a number, written as BullMQ's scripts write theirs.
 */
export function scriptNumber(n: number): number | string {
  return Number.isInteger(n) && Math.abs(n) < 1e14 && !Object.is(n, -0) ? String(n) : n;
}

/**
 * The payload of one job: `opts` steers the add (delay, priority, lifo, deduplication), `stored`
 * is what the hash keeps of the options (the add path leaves the scheduler key out of it).
 */
export function jobPayload(name: string, data: string, opts: JobsOptions, stored: JobsOptions, timestamp: number): JobPayload {
  const payload: JobPayload = {
    name,
    data,
    opts: encodeStoredOptions(stored),
    timestamp: scriptNumber(timestamp),
    delay: scriptNumber(finiteOr(opts.delay, 0)),
    priority: scriptNumber(finiteOr(opts.priority, 0)),
  };
  if (opts.lifo) payload.lifo = true;
  if (opts.deduplication) payload.de = opts.deduplication;
  return payload;
}

/**
 * Ties the payload's job to `parent` (`<prefix>:<queue>` and id): `parentKey`, and the `parent`
 * field with the failure flags `opts` sets, in the order BullMQ writes them. Returns the reference.
 */
export function linkParent(payload: JobPayload, parent: ParentOptions, opts: JobsOptions): ParentReference {
  const reference: ParentReference = { id: parent.id, queueKey: parent.queue };
  if (opts.failParentOnFailure) reference.fpof = true;
  if (opts.continueParentOnFailure) reference.cpof = true;
  if (opts.ignoreDependencyOnFailure) reference.idof = true;
  if (opts.removeDependencyOnFailure) reference.rdof = true;
  payload.parentKey = `${parent.queue}:${parent.id}`;
  payload.parent = JSON.stringify(reference);
  return reference;
}
