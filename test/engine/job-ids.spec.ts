// Counter values reserved in blocks: never handed out twice, in order, blocks sized to the rate.
import { JobIdReserve } from '../../lib/engine/job-ids.js';

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
    for (const ids of taken) for (let i = 1; i < ids.length; i++) expect(Number(ids[i])).toBe(Number(ids[i - 1]) + 1);
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
