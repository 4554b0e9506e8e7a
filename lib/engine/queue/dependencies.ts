import { ConveyorValidationError } from '../core/errors.js';
import { jobSubKey, type QueueKeys } from '../core/keys.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import { parseJsonOrRaw } from '../events/queue-events.js';
import { jobDataFromHash, type JobJsonRaw } from '../job/job-data.js';

/** Queue.getDependencies: one page of a parent's children, read at one instant. */

export interface QueueDependencies {
  /** Each child's key (`<prefix>:<queue>:<id>`) and, for processed ones, its return value. */
  items: { id: string; v?: any; err?: string }[];
  /** The children's stored data, in the order of `items` (BullMQ's raw shape, as moveToCompleted gives it). */
  jobs: JobJsonRaw[];
  /** How many children of this kind the parent has. */
  total: number;
}

interface ScriptHost {
  readonly keys: QueueKeys;
  exec(script: string, keys: string[], args: (string | number)[]): Promise<unknown>;
}

export function checkDependenciesArgs(parentId: unknown, start: unknown, end: unknown): void {
  if (typeof parentId !== 'string' || parentId === '') {
    throw new ConveyorValidationError(`parentId must be a non-empty string, got ${show(parentId)}`);
  }
  checkInteger('start', start, Number.MIN_SAFE_INTEGER);
  checkInteger('end', end, Number.MIN_SAFE_INTEGER);
}

/**
 * Children `start`..`end` (from 0; a negative start counts as 0, end -1 means to the last) of the
 * parent's `processed` children, or of its pending ones for any other type, as BullMQ reads them.
 */
export async function readDependencies(
  host: ScriptHost,
  parentId: string,
  type: string,
  start: number,
  end: number,
): Promise<QueueDependencies> {
  checkDependenciesArgs(parentId, start, end);
  const processed = type === 'processed';
  const parentKey = host.keys.job(parentId);
  const [total, children] = (await host.exec(
    'getDependencies',
    [jobSubKey(parentKey, processed ? 'processed' : 'dependencies')],
    [processed ? 'processed' : 'pending', start, end],
  )) as [number, [string, string | false, string[]][]];
  const items: QueueDependencies['items'] = [];
  const jobs: JobJsonRaw[] = [];
  for (const [childKey, value, hash] of children) {
    items.push(processed ? { id: childKey, v: parseJsonOrRaw(value as string) } : { id: childKey });
    jobs.push(jobDataFromHash(hash));
  }
  return { items, jobs, total };
}
