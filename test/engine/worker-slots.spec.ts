// Slots: the worker's concurrency bookkeeping (jobs held, slots reserved for fetches in flight,
// processing chains close() waits for), driven directly; no Redis involved.
import type { Job } from '../../lib/engine/job/job.js';
import { heldEntry, Slots, type Held } from '../../lib/engine/worker/slots.js';
import { deferred, within } from '../support/wait.js';

function entry(id: string): Held {
  return heldEntry({ id, token: `token-${id}` } as Job, '');
}

/** Resolves with true when `promise` settles within a few turns of the event loop, else false. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('Slots', () => {
  it('free slots: concurrency rounded up, less the jobs held and the slots reserved', () => {
    let concurrency = 2.5;
    const slots = new Slots(() => concurrency);
    expect(slots.free()).toBe(3);
    slots.hold(entry('1'));
    expect(slots.free()).toBe(2);
    slots.reserve(2);
    expect(slots.free()).toBe(0);
    // a lowered concurrency shows as negative free slots (nothing may be fetched)
    concurrency = 1;
    expect(slots.free()).toBe(-2);
    slots.release(2);
    expect(slots.free()).toBe(0);
  });

  it('a reservation and a held job count once each: a fetch reply hands its slots from one to the other', () => {
    const slots = new Slots(() => 4);
    slots.reserve(3);
    // the reply brought two jobs: held first, then the reservation goes
    slots.hold(entry('1'));
    slots.hold(entry('2'));
    expect(slots.free()).toBe(-1);
    slots.release(3);
    expect(slots.free()).toBe(2);
  });

  it('drop() lets go of that entry only: a newer entry of the same job id stays held', async () => {
    const slots = new Slots(() => 2);
    const old = entry('7');
    const newer = entry('7');
    slots.hold(old);
    slots.hold(newer);
    expect(slots.holds(old)).toBe(false);
    expect(slots.holds(newer)).toBe(true);
    const woken = slots.changed.wait();
    slots.drop(old);
    expect(slots.get('7')).toBe(newer);
    expect(await settlesSoon(woken)).toBe(false);
    slots.drop(newer);
    expect(slots.get('7')).toBeUndefined();
    expect(slots.free()).toBe(2);
    // a slot came free: the fetch loop waiting on `changed` wakes up
    expect(await settlesSoon(woken)).toBe(true);
  });

  it('jobs() leaves out the entries a forced close let go of', () => {
    const slots = new Slots(() => 3);
    const a = entry('a');
    const b = entry('b');
    slots.hold(a);
    slots.hold(b);
    b.abandoned = true;
    expect(slots.jobs().map((job) => job.id)).toEqual(['a']);
    expect([...slots.entries()]).toEqual([a, b]);
  });

  it('whenIdle() waits for the tracked processing chains; an untracked one no longer counts', async () => {
    const slots = new Slots(() => 2);
    const a = entry('a');
    const b = entry('b');
    const doneA = deferred();
    const doneB = deferred();
    slots.hold(a);
    slots.track(a, doneA.promise);
    slots.hold(b);
    slots.track(b, doneB.promise);
    expect(a.done).toBe(doneA.promise);
    expect(slots.processingCount).toBe(2);
    const idle = slots.whenIdle();
    expect(await settlesSoon(idle)).toBe(false);

    // a chain settles: untracked and dropped, then `changed` says so
    slots.untrack(a);
    slots.drop(a);
    expect(await settlesSoon(idle)).toBe(false);
    // a forced close lets go of the other
    slots.untrack(b);
    slots.changed.notify();
    await within(idle, 1000, 'whenIdle()');
    expect(slots.processingCount).toBe(0);
    expect(slots.get('b')).toBe(b);
  });

  it('whenIdle() resolves at once with nothing tracked', async () => {
    const slots = new Slots(() => 1);
    slots.hold(entry('x'));
    await within(slots.whenIdle(), 1000, 'whenIdle()');
  });
});
