// shutdown.ts: close()'s sequence, step by step, and a forced close letting go of the jobs in
// hand (left in active, or handed back with their signals aborted). Driven with recording
// stand-ins for the parts; the Worker-level behaviour is in worker-close.spec.ts.
import { EventEmitter } from 'node:events';
import type { Job } from '../../lib/engine/job/job.js';
import { WorkerReporter } from '../../lib/engine/worker/reporter.js';
import { closeRequeue, letGoOfRunning, shutdown } from '../../lib/engine/worker/shutdown.js';
import { heldEntry, Slots, type Held } from '../../lib/engine/worker/slots.js';
import { deferred, within } from '../support/wait.js';

function hold(slots: Slots, id: string, done: Promise<void>): Held {
  const entry = heldEntry({ id, token: `t${id}` } as Job, '');
  slots.hold(entry);
  slots.track(entry, done);
  return entry;
}

describe('shutdown', () => {
  it('goes step by step: closing, no stalled checks, waits ended, the loop and the jobs waited for, then sandbox, locks, reclaim, connections, closed', async () => {
    const steps: string[] = [];
    const emitter = new EventEmitter();
    for (const event of ['closing', 'closed']) emitter.on(event, () => steps.push(event));
    const slots = new Slots(() => 2);
    const job = deferred();
    hold(slots, '1', job.promise);
    const loop = deferred();
    const forcing = deferred();
    const wakeOnClose = new AbortController();
    wakeOnClose.signal.addEventListener('abort', () => steps.push('waits ended'));
    slots.changed.wait().then(() => steps.push('loop woken'));
    let disconnects = 0;
    const closed = shutdown({
      reporter: new WorkerReporter(emitter, () => {}),
      slots,
      wakeOnClose,
      stalled: { stop: () => steps.push('stalled checks stop') },
      locks: { stop: () => steps.push('locks no longer renewed') },
      reclaim: {
        stop: async () => {
          steps.push('reclaim stopped');
        },
      },
      blocking: {
        disconnect: () => {
          disconnects += 1;
          steps.push(`blocking connection disconnected (${disconnects})`);
          return undefined;
        },
      },
      loopRun: () => loop.promise,
      forcing: () => forcing.promise,
      closeSandbox: async () => {
        steps.push('sandbox closed');
      },
      closeConnection: async () => {
        steps.push('command connection closed');
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(['closing', 'stalled checks stop', 'blocking connection disconnected (1)', 'waits ended', 'loop woken']);

    // the loop ends, but a job is still in hand
    loop.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toHaveLength(5);
    // the job settles: dropped and untracked, as the runner does
    slots.untrack(slots.get('1')!);
    slots.drop(slots.get('1')!);
    // a forced close came meanwhile: its letting go is waited for too
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toHaveLength(5);
    forcing.resolve();
    await within(closed, 1000, 'shutdown()');
    expect(steps.slice(5)).toEqual([
      'sandbox closed',
      'locks no longer renewed',
      'reclaim stopped',
      'blocking connection disconnected (2)',
      'command connection closed',
      'closed',
    ]);
  });

  it('a loop that ends with an error does not stop the close', async () => {
    const slots = new Slots(() => 1);
    const emitter = new EventEmitter();
    const closedEvent = deferred<void>();
    emitter.on('closed', () => closedEvent.resolve());
    await within(
      shutdown({
        reporter: new WorkerReporter(emitter, () => {}),
        slots,
        wakeOnClose: new AbortController(),
        stalled: { stop: () => {} },
        locks: { stop: () => {} },
        reclaim: { stop: async () => {} },
        blocking: { disconnect: () => undefined },
        loopRun: () => Promise.reject(new Error('loop broke')),
        forcing: () => undefined,
        closeSandbox: () => undefined,
        closeConnection: async () => {},
      }),
      1000,
      'shutdown()',
    );
    await within(closedEvent.promise, 1000, "'closed'");
  });
});

describe('letGoOfRunning', () => {
  it('without requeue: running jobs are let go of (no longer waited for, left to the stalled checker); one being stored is kept', async () => {
    const slots = new Slots(() => 3);
    const running = hold(slots, '1', new Promise(() => {}));
    const storing = hold(slots, '2', new Promise(() => {}));
    storing.phase = 'finishing';
    const handedBack: string[] = [];
    await letGoOfRunning(slots, { handBack: async (job) => void handedBack.push(job.id!) }, 'w', false);
    expect(running.abandoned).toBe(true);
    expect(running.controller.signal.aborted).toBe(false);
    expect(slots.get('1')).toBeUndefined();
    expect(storing.abandoned).toBe(false);
    expect(slots.get('2')).toBe(storing);
    expect(slots.processingCount).toBe(1);
    expect(handedBack).toEqual([]);
  });

  it('with requeue: their signals abort with a WorkerClosedError and they are handed back, last taken first', async () => {
    const slots = new Slots(() => 3);
    const entries = ['1', '2', '3'].map((id) => hold(slots, id, new Promise(() => {})));
    const handedBack: string[] = [];
    await letGoOfRunning(slots, { handBack: async (job, token) => void handedBack.push(`${job.id}:${token}`) }, 'emails', true);
    expect(handedBack).toEqual(['3:t3', '2:t2', '1:t1']);
    for (const entry of entries) {
      expect(entry.controller.signal.aborted).toBe(true);
      expect(entry.controller.signal.reason.name).toBe('WorkerClosedError');
      expect(entry.controller.signal.reason.message).toBe(`Worker "emails" closed with force: job ${entry.job.id} was moved back to wait`);
    }
    expect(slots.processingCount).toBe(0);
    expect([...slots.entries()]).toEqual([]);
  });
});

describe('closeRequeue', () => {
  it('reads close() options: undefined or { requeue: boolean }', () => {
    expect(closeRequeue(undefined)).toBe(false);
    expect(closeRequeue({})).toBe(false);
    expect(closeRequeue({ requeue: true })).toBe(true);
    expect(() => closeRequeue({ requeue: 'yes' })).toThrow(/requeue/);
    expect(() => closeRequeue({ force: true })).toThrow(/force/);
  });
});
