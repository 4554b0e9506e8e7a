import { nodeForKey } from '../connection/cluster-node.js';
import { isClusterClient } from '../connection/cluster.js';
import type { RedisClient } from '../connection/connection.js';
import { BULLMQ_KEY_NAMES, JOB_KEY, LEGACY_QUEUE_KEY, QUEUE_KEY_FAMILY, type QueueKeys } from '../core/keys.js';
import { runScript } from '../core/scripts.js';
import { checkInteger } from '../core/validation.js';

/**
 * Queue.removeOrphanedJobs: job hashes (and their sub-keys) that no state of the queue holds,
 * left behind by removals that missed them, found with SCAN and removed in bounded script calls.
 */

/** What a job's own keys end with (wire-format §1.3); the job hash itself has no suffix. */
const JOB_SUB_KEYS = Object.values(JOB_KEY);

/**
 * Names right after the base that are never jobs: the key map, the legacy keys, and `metrics`
 * (the families' keys, `repeat:`, `de:`, `dn:`, `metrics:`, have a colon: checked apart).
 */
const NOT_JOBS = new Set<string>([...BULLMQ_KEY_NAMES, ...Object.values(LEGACY_QUEUE_KEY), QUEUE_KEY_FAMILY.metrics.slice(0, -1)]);

/** Wait, paused and active longer than this together are read once into a set (see below). */
const SNAPSHOT_ABOVE = 10_000;
/** Entries per LRANGE while taking that snapshot. */
const SNAPSHOT_CHUNK = 5_000;
/** List entries one script call may scan before it hands the rest back (see the script). */
const SCAN_BUDGET = 1_000_000;

/** SCAN's MATCH treats these as patterns; a queue name or prefix may hold them. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The job id a key of the queue belongs to, or undefined for a key that is not a job's. Ids with
 * a colon are left alone: only scheduler iterations (`repeat:<id>:<ms>`) and rare custom ids have
 * one, and so do the keys of a queue whose prefix extends this one's (`<prefix>:<queue>:<other>:…`).
 */
export function jobIdOfKey(rest: string): string | undefined {
  let id = rest;
  for (const suffix of JOB_SUB_KEYS) {
    if (rest.endsWith(suffix)) {
      id = rest.slice(0, -suffix.length);
      break;
    }
  }
  if (id === '' || id.includes(':') || NOT_JOBS.has(id)) return undefined;
  return id;
}

export function checkOrphanArgs(count: unknown, limit: unknown): void {
  checkInteger('count', count, 1);
  checkInteger('limit', limit, 0);
}

/**
 * Scans the queue's keys `count` at a time and removes the orphans among them, at most `limit`
 * (0 = all); resolves with how many it removed.
 *
 * Each candidate is judged inside a script, so a job that moves between states meanwhile is never
 * taken for an orphan. Judging needs a scan of wait, paused and active; when those lists are long,
 * they are read once beforehand (in chunks) and candidates seen in them are not sent at all: the
 * few that remain (orphans, jobs added since) cost a list scan each, paid from a per-call budget.
 */
export async function removeOrphans(
  client: RedisClient,
  keys: QueueKeys,
  count: number,
  limit: number,
  { snapshotAbove = SNAPSHOT_ABOVE, budget = SCAN_BUDGET } = {},
): Promise<number> {
  checkOrphanArgs(count, limit);
  // SCAN reads one node; on a cluster every key of the queue is on the node of its slot
  const scanner = isClusterClient(client) ? nodeForKey(client, keys.meta) : client;
  const waiting = await listedIds(client, keys, snapshotAbove);
  const base = keys.base;
  const match = `${globEscape(base)}*`;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, found] = await scanner.scan(cursor, 'MATCH', match, 'COUNT', count);
    cursor = next;
    const ids = new Set<string>();
    for (const key of found) {
      const id = jobIdOfKey(key.slice(base.length));
      if (id !== undefined && !waiting?.has(id)) ids.add(id);
    }
    let pending = [...ids];
    while (pending.length > 0) {
      const left = limit > 0 ? limit - removed : 0;
      const [gone, judged] = (await runScript(client, 'removeOrphanedJobs', [keys.meta], [base, left, budget, ...pending])) as [
        number,
        number,
      ];
      removed += gone;
      if (limit > 0 && removed >= limit) return removed;
      pending = pending.slice(judged);
    }
  } while (cursor !== '0');
  return removed;
}

/** Ids in wait, paused and active when those lists are long; undefined when the script can scan them. */
async function listedIds(client: RedisClient, keys: QueueKeys, snapshotAbove: number): Promise<Set<string> | undefined> {
  const lists = [keys.wait, keys.paused, keys.active];
  const lengths = await Promise.all(lists.map((list) => client.llen(list)));
  if (lengths.reduce((a, b) => a + b, 0) <= snapshotAbove) return undefined;
  const ids = new Set<string>();
  for (const list of lists) {
    // an LREM meanwhile may shift an id past a chunk boundary: it is then judged by the script
    for (let start = 0; ; start += SNAPSHOT_CHUNK) {
      const chunk = await client.lrange(list, start, start + SNAPSHOT_CHUNK - 1);
      for (const id of chunk) ids.add(id);
      if (chunk.length < SNAPSHOT_CHUNK) break;
    }
  }
  return ids;
}
