import { ConveyorValidationError, scriptError } from '../core/errors.js';
import { runScript } from '../core/scripts.js';
import type { Job } from './job.js';

/**
 * The job's id, or BullMQ's error for a job that was never stored (it names the script `command`
 * runs; nothing is sent to Redis).
 */
export function storedJobId(job: Job, command: string): string {
  if (!job.id) throw new ConveyorValidationError(`Missing key for job undefined. ${command} (the job was never added, so it has no id)`);
  return job.id;
}

/** Runs a script on the job's key; a negative reply becomes the wire-format error (§8) through scriptError. */
export async function runOnJob(job: Job, script: string, command: string, args: (string | number)[], state?: string): Promise<number> {
  const client = await job.queue.client;
  const reply = Number(await runScript(client, script, [job.key], args));
  if (reply < 0) throw scriptError(reply, job.id, command, state);
  return reply;
}
