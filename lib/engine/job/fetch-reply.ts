/** What a fetch (moveToActive, or moveToFinished's fetch-next) brings back (wire-format §7.4). */
import { jobDataFromHash, type JobJsonRaw } from './job-data.js';
import type { JobHash } from './job-hash.js';

export interface FetchedJob {
  id: string;
  /** The job's hash (the script sends it as a JSON object: see lua/includes/fetchJobs.lua). */
  hash: JobHash;
}

export interface FetchedReply {
  /** ms the rate limit still holds (0 = none). */
  rateLimitTtl: number;
  /** Due time of the earliest delayed job (0 = none). */
  nextDelayed: number;
  jobs: FetchedJob[];
}

/** A moveToActive reply (offset 0) or a moveToFinished one (offset 1: its status comes first). */
export function parseFetchReply(raw: unknown[], offset: number): FetchedReply {
  return parseFetchReplyAs(raw, offset, (id, hash) => ({ id, hash }));
}

/** parseFetchReply, each job made by `make` straight from its id and hash (the worker's Jobs). */
export function parseFetchReplyAs<J>(
  raw: unknown[],
  offset: number,
  make: (id: string, hash: JobHash) => J,
): { rateLimitTtl: number; nextDelayed: number; jobs: J[] } {
  const jobs: J[] = [];
  for (let i = offset + 2; i < raw.length; i += 2) jobs.push(make(String(raw[i]), JSON.parse(raw[i + 1] as string) as JobHash));
  return { rateLimitTtl: Number(raw[offset]) || 0, nextDelayed: Number(raw[offset + 1]) || 0, jobs };
}

/** [jobData, jobId, rateLimitTtl, nextDelayedDue] when a fetch-next found something, else []. */
export type NextJobReply = [] | [JobJsonRaw | null, string | 0, number, number];

/** The reply `moveToCompleted`/`moveToFailed` resolve with for what a fetch-next brought. */
export function nextJobReply(reply: FetchedReply | undefined): NextJobReply {
  if (!reply) return [];
  const [first] = reply.jobs;
  if (first) return [jobDataFromHash(first.hash), first.id, reply.rateLimitTtl, reply.nextDelayed];
  if (reply.rateLimitTtl > 0 || reply.nextDelayed > 0) return [null, 0, reply.rateLimitTtl, reply.nextDelayed];
  return [];
}
