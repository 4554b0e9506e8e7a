// Counter values reserved in blocks: never handed out twice, in order, blocks sized to the rate.
import { JobIdReserve } from '../../lib/engine/job/ids.js';

/** The queue's counter as INCRBY sees it, with the block sizes asked for. */
function counter() {
  let value = 0;
  const asked: number[] = [];
  const reserve = new JobIdReserve(async (count) => {
    asked.push(count);
    await new Promise((resolve) => setImmediate(resolve));
    value += count;
    return value;
  });
  return { reserve, asked, value: () => value };
}

describe('JobIdReserve', () => {
  it('a lone add reserves one value; a busy producer gets bigger blocks', async () => {
    const c = counter();
    expect(await c.reserve.take(1)).toEqual(['1']);
    for (let i = 0; i < 500; i++) await c.reserve.take(1);
    expect(c.asked[0]).toBe(1);
    expect(Math.max(...c.asked)).toBeGreaterThan(1);
    expect(c.asked.length).toBeLessThan(100);
  });

  it('adds waiting together share refills and never get the same value', async () => {
    const c = counter();
    const taken = await Promise.all(Array.from({ length: 300 }, (_, i) => c.reserve.take(1 + (i % 3))));
    const all = taken.flat().map(Number);
    expect(new Set(all).size).toBe(all.length);
    for (const ids of taken) for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBeGreaterThan(Number(ids[i - 1]));
    expect(Math.max(...all)).toBeLessThanOrEqual(c.value());
  });

  it('a bulk of 1,000 or more gets a block of exactly its size', async () => {
    const c = counter();
    await c.reserve.take(1);
    const ids = await c.reserve.take(1500);
    expect(ids[0]).toBe('2');
    expect(ids[1499]).toBe('1501');
    expect(c.asked).toEqual([1, 1500]);
  });

  it('a take of 1,000 or more uses the rest of the block first, so a take after it gets later ids', async () => {
    const c = counter();
    for (let i = 0; i < 50; i++) await c.reserve.take(1);
    const [big, small] = await Promise.all([c.reserve.take(1000), c.reserve.take(3)]);
    const all = [...big, ...small].map(Number);
    all.forEach((id, i) => i > 0 && expect(id).toBe(all[i - 1] + 1));
  });

  it('a take larger than what is left of the block uses the rest first: a lone producer leaves no gap', async () => {
    const c = counter();
    const realNow = Date.now;
    let now = realNow();
    Date.now = () => now;
    try {
      const all = [...(await c.reserve.take(1))];
      now += 20; // 1 id in 20 ms: the next block holds 5 (ids 2..6)
      all.push(...(await c.reserve.take(1)));
      now += 1;
      // 4 ids left (3..6), 6 wanted: those 4, then 2 from a new block
      all.push(...(await c.reserve.take(6)));
      expect(c.asked.slice(0, 2)).toEqual([1, 5]);
      expect(all).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    } finally {
      Date.now = realNow;
    }
  });

  it('a block older than a second is dropped, so ids keep following add order', async () => {
    const c = counter();
    for (let i = 0; i < 200; i++) await c.reserve.take(1);
    const end = c.value();
    const realNow = Date.now;
    Date.now = () => realNow() + 1500;
    try {
      expect(Number((await c.reserve.take(1))[0])).toBe(end + 1);
    } finally {
      Date.now = realNow;
    }
  });

  it('a failed reservation rejects the add and the next one tries again', async () => {
    let fail = true;
    const reserve = new JobIdReserve(async (count) => {
      if (fail) throw new Error('Redis away');
      return count;
    });
    await expect(reserve.take(1)).rejects.toThrow('Redis away');
    fail = false;
    expect(await reserve.take(1)).toEqual(['1']);
  });
});
