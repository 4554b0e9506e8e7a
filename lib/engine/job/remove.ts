import type { RedisClient } from '../connection/connection.js';
import { scriptError } from '../core/errors.js';
import type { QueueKeys } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { checkBoolean, checkOptionsObject } from '../core/validation.js';

export interface RemoveOptions {
  /** Remove the job's children (in any queue) too. @default true */
  removeChildren?: boolean;
}

/**
 * Removes a job by id (`job.remove()`, `queue.remove(id)`): 1 when it is gone (or never existed),
 * 0 when a worker holds it or one of its children.
 */
export async function removeJobById(client: RedisClient, keys: QueueKeys, jobId: string, opts: unknown): Promise<0 | 1> {
  const o = checkOptionsObject('remove options', opts, ['removeChildren']);
  const removeChildren = o.removeChildren ?? true;
  checkBoolean('removeChildren', removeChildren);
  const reply = Number(await runScript(client, 'removeJob', [keys.job(jobId)], [keys.base, jobId, removeChildren ? 1 : 0, Date.now()]));
  if (reply < 0) throw scriptError(reply, jobId, 'removeJob');
  return reply === 1 ? 1 : 0;
}
