import { ConveyorValidationError, scriptError } from '../core/errors.js';
import { jobSubKey } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { show } from '../core/show.js';
import { checkInteger } from '../core/validation.js';
import type { JobHost } from './host.js';
import type { JobProgress } from './job-shapes.js';
import type { Job } from './job.js';

/**
 * Stores a job's progress by id and tells QueueEvents listeners (job.updateProgress; also what a
 * Queue.updateJobProgress needs). Rejects with BullMQ's text when the job does not exist.
 */
export async function storeJobProgress(host: JobHost, jobId: string, progress: JobProgress): Promise<void> {
  let json: string | undefined;
  try {
    json = JSON.stringify(progress);
  } catch (err) {
    throw new ConveyorValidationError(`progress cannot be serialized to JSON: ${(err as Error).message}`);
  }
  // BullMQ stores "" for these, which its own QueueEvents then fails to parse
  if (json === undefined) throw new ConveyorValidationError(`progress must be a number, string, boolean or object, got ${show(progress)}`);
  const client = await host.client;
  const reply = Number(await runScript(client, 'updateProgress', [host.keys.job(jobId)], [host.keys.base, jobId, json]));
  if (reply < 0) throw scriptError(reply, jobId, 'updateProgress');
}

/** Appends a log line to a job by id (Job.addJobLog, Queue.addJobLog); resolves with the lines kept. */
export async function appendJobLog(host: JobHost, jobId: string, logRow: string, keepLogs?: number): Promise<number> {
  if (typeof jobId !== 'string' || jobId === '') throw new ConveyorValidationError(`jobId must be a non-empty string, got ${show(jobId)}`);
  const client = await host.client;
  // as in BullMQ: the line as text; a keepLogs that is not a positive number keeps every line
  const reply = Number(await runScript(client, 'addLog', [host.keys.job(jobId)], [String(logRow), finiteOrEmpty(keepLogs)]));
  if (reply < 0) throw scriptError(reply, jobId, 'addLog');
  return reply;
}

/** Deletes the job's log lines, or keeps the newest `keepLogs` of them (job.clearLogs). */
export async function clearJobLogs(job: Job, keepLogs: number | undefined): Promise<void> {
  // as in BullMQ, a negative count trims from the oldest end (LTRIM's own reading of it)
  if (keepLogs !== undefined) checkInteger('keepLogs', keepLogs, Number.MIN_SAFE_INTEGER);
  const client = await job.queue.client;
  const logsKey = jobSubKey(job.key, 'logs');
  if (keepLogs) await client.ltrim(logsKey, -keepLogs, -1);
  else await client.del(logsKey);
}

function finiteOrEmpty(value: unknown): number | '' {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : '';
}
