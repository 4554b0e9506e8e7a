/**
 * Redis Cluster hash slots, computed client-side: a script may only touch keys of one slot, so
 * operations that span queues (flows) check up front that all their queues share one.
 */

export const CLUSTER_SLOTS = 16384;

/** CRC16/XMODEM (polynomial 0x1021, initial 0), the checksum Redis Cluster slots are built on. */
export function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/**
 * The hash tag of a key: the text between its first `{` and the first `}` after it, when that
 * text is not empty (Redis then hashes only the tag); otherwise undefined (the whole key counts).
 */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

/** The cluster slot of a key (what CLUSTER KEYSLOT answers). */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashTag(key) ?? key)) % CLUSTER_SLOTS;
}
