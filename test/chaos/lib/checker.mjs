// The checker: compares what the ledger says happened (acknowledged adds, processor runs, completion
// events) with the final keyspace of one queue, Jepsen total-queue style.
//
// Every defect lands in exactly one column:
//   lost          acknowledged, and after the drain neither finished nor anywhere (or still waiting)
//   unexpected    in Redis or run by a processor but never acknowledged: an id nobody sent, a second
//                 copy of an acknowledged add, an id that holds another add's data, a job completed
//                 without any processor run
//   duplicated    ids whose processor ran to the end (returned) more than once
//   stuck         acknowledged and still in active
//   halfWritten   a job hash in no state, an id in a state with no hash, an id in two states (or
//                 twice in one), a result written by a worker that did not complete it
//   finishedTwice ids for which two workers were told "completed"
// Not defects, reported for context: indeterminate (adds whose reply was lost but that landed),
// redelivered (ids run more than once), stalled (jobs the stalled checker moved back, from `stc`).

const LISTS = ['wait', 'paused', 'active'];
const ZSETS = ['prioritized', 'delayed', 'completed', 'failed', 'waiting-children'];
/** Queue-level key names that are not job ids. */
const QUEUE_KEYS = new Set([
  ...LISTS,
  ...ZSETS,
  'pc',
  'marker',
  'meta',
  'events',
  'id',
  'stalled',
  'stalled-check',
  'limiter',
  'repeat',
  'priority',
  'delay',
]);
const FINAL = new Set(['completed', 'failed']);

/**
 * @param {{ client: import('ioredis').Redis, queue: string, prefix?: string, records: any[] }} input
 */
export async function check({ client, queue, prefix = 'bull', records }) {
  const base = `${prefix}:${queue}:`;
  const { states, hashes } = await readQueue(client, base);

  const sentTags = new Set();
  /** id -> tag of acknowledged adds */
  const acked = new Map();
  /** tag -> id */
  const ackedTags = new Map();
  const runs = new Map();
  const returns = new Map();
  const completions = new Map();
  const bump = (map, id, pid) => map.set(id, [...(map.get(id) ?? []), pid]);
  for (const r of records) {
    if (r.t === 'send') sentTags.add(r.tag);
    else if (r.t === 'ack') {
      acked.set(String(r.id), r.tag);
      ackedTags.set(r.tag, String(r.id));
      sentTags.add(r.tag);
    } else if (r.t === 'run') bump(runs, String(r.id), r.pid);
    else if (r.t === 'returned') bump(returns, String(r.id), r.pid);
    else if (r.t === 'completed') bump(completions, String(r.id), r.pid);
  }

  const details = { lost: [], unexpected: [], duplicated: [], stuck: [], halfWritten: [], finishedTwice: [] };
  let indeterminate = 0;

  const ids = new Set([...states.keys(), ...hashes.keys()]);
  for (const id of ids) {
    const where = states.get(id) ?? [];
    const hash = hashes.get(id);
    if (hash && where.length === 0) details.halfWritten.push({ id, why: 'job hash in no state' });
    else if (!hash && where.length > 0) details.halfWritten.push({ id, why: `in ${where.join('+')} with no job hash` });
    else if (where.length > 1) details.halfWritten.push({ id, why: `in ${where.join(' and ')} at once` });

    if (!acked.has(id)) {
      const tag = hash?.tag;
      if (tag !== undefined && ackedTags.has(tag)) {
        details.unexpected.push({ id, why: `second copy of the add acknowledged as id ${ackedTags.get(tag)} (tag ${tag})` });
      } else if (tag !== undefined && sentTags.has(tag)) {
        indeterminate += 1;
      } else {
        details.unexpected.push({
          id,
          why: tag === undefined ? `in ${where.join('+') || 'no state'}, never acknowledged, no payload` : `tag ${tag} was never sent`,
        });
      }
    } else if (hash && hash.tag !== acked.get(id)) {
      details.unexpected.push({
        id,
        why: `holds the data of tag ${hash.tag}, but the add of tag ${acked.get(id)} was acknowledged with this id`,
      });
    }
  }

  let finished = 0;
  for (const [id] of acked) {
    const where = states.get(id) ?? [];
    const hash = hashes.get(id);
    if (where.includes('active')) details.stuck.push(id);
    else if (where.some((s) => FINAL.has(s))) finished += 1;
    else if (!hash && where.length === 0) details.lost.push({ id, why: 'gone: no job hash, in no state' });
    else if (where.length > 0) details.lost.push({ id, why: `never finished: still in ${where.join('+')}` });
    // a hash in no state is already counted as half-written
  }

  for (const [id, pids] of runs) {
    if (!acked.has(id) && !ids.has(id)) details.unexpected.push({ id, why: `run by pid ${pids[0]}, but never added` });
  }
  for (const [id, where] of states) {
    if (!where.includes('completed') || !acked.has(id)) continue;
    if (!returns.has(id)) details.unexpected.push({ id, why: 'completed, but no processor ever returned for it' });
    const winners = completions.get(id);
    const writer = hashes.get(id)?.resultPid;
    if (winners && writer !== undefined && !winners.includes(writer)) {
      details.halfWritten.push({ id, why: `result written by pid ${writer}, but pid ${winners.join(',')} completed it` });
    }
  }
  for (const [id, pids] of returns) if (pids.length > 1) details.duplicated.push({ id, pids });
  for (const [id, pids] of completions) if (pids.length > 1) details.finishedTwice.push({ id, pids });

  let stalled = 0;
  for (const hash of hashes.values()) if (hash.stc > 0) stalled += 1;
  let redelivered = 0;
  for (const pids of runs.values()) if (pids.length > 1) redelivered += 1;

  return {
    acknowledged: acked.size,
    completed: count(states, 'completed'),
    failed: count(states, 'failed'),
    finished,
    lost: details.lost.length,
    unexpected: details.unexpected.length,
    duplicated: details.duplicated.length,
    stuck: details.stuck.length,
    halfWritten: details.halfWritten.length,
    finishedTwice: details.finishedTwice.length,
    indeterminate,
    redelivered,
    stalled,
    details,
  };
}

function count(states, state) {
  let n = 0;
  for (const where of states.values()) if (where.includes(state)) n += 1;
  return n;
}

/** Every state list/zset of the queue, and every job hash (with the fields the checker needs). */
async function readQueue(client, base) {
  /** @type {Map<string, string[]>} */
  const states = new Map();
  const add = (id, state) => states.set(id, [...(states.get(id) ?? []), state]);
  for (const state of LISTS) for (const id of await client.lrange(base + state, 0, -1)) add(id, state);
  for (const state of ZSETS) for (const id of await client.zrange(base + state, 0, -1)) add(id, state);

  const candidates = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const id = key.slice(base.length);
      if (!id.includes(':') && !QUEUE_KEYS.has(id)) candidates.push(id);
    }
  } while (cursor !== '0');

  const hashes = new Map();
  for (let i = 0; i < candidates.length; i += 500) {
    const chunk = candidates.slice(i, i + 500);
    const pipe = client.pipeline();
    for (const id of chunk) pipe.type(base + id).hmget(base + id, 'data', 'stc', 'returnvalue');
    const replies = await pipe.exec();
    chunk.forEach((id, j) => {
      const type = replies[2 * j][1];
      if (type !== 'hash') return;
      const [data, stc, returnvalue] = replies[2 * j + 1][1];
      hashes.set(id, { tag: parse(data)?.tag, stc: Number(stc ?? 0), resultPid: parse(returnvalue)?.pid });
    });
  }
  return { states, hashes };
}

function parse(json) {
  if (json === null || json === undefined) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
