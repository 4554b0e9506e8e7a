import type { Redis } from 'ioredis';

/**
 * Every key under `<prefix>:<name>:` with its serialized value (DUMP) and TTL presence, so a test
 * can prove a rejected call changed nothing, byte for byte.
 */
export async function snapshotQueue(client: Redis, name: string, prefix = 'bull'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:${name}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const dump = await client.dumpBuffer(key);
      const ttl = await client.pttl(key);
      out[key] = `${dump?.toString('base64')}|ttl:${ttl > 0 ? 'yes' : ttl}`;
    }
  } while (cursor !== '0');
  // SCAN's order follows Redis's hash table, which a rehash between two snapshots reshuffles:
  // keys sorted, so snapshots compare (also as JSON) by content alone
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
