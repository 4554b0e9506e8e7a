// worker.delay(ms, abortController?): every timed wait of the worker loop goes through this public
// method, so a test can stub it on the instance (BullMQ's own tests do, under a fake clock) and
// the loop keeps making progress by asking Redis again; close() ends a real one at once.
import { Worker } from '../../lib/index.js';
import { times } from '../support/events.js';
import { connection } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { within } from '../support/wait.js';

describe('worker.delay', () => {
  const scope = scopePerTest();

  it('waits the given ms, or ends at once when its abortController aborts', async () => {
    const worker = scope.track(new Worker(scope.name(), null, { connection: connection(), autorun: false }));
    const start = Date.now();
    await worker.delay(150);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);

    // waits of a minute: one that ignored the abort would outlast the test's timeouts by far
    const controller = new AbortController();
    const waiting = worker.delay(60_000, controller);
    setTimeout(() => controller.abort(), 20);
    await within(waiting, 5000, 'delay() after abort');
    // an aborted controller: no wait at all, it is over before the event loop's next turn
    const next = new Promise((resolve) => setImmediate(() => resolve('the next turn')));
    expect(await Promise.race([worker.delay(60_000, controller).then(() => 'delay()'), next])).toBe('delay()');
  });

  it('rate-limit waits go through delay(); stubbed to return at once, the worker keeps asking Redis until the limit ends', async () => {
    const queue = scope.queue();
    const calls: [number | undefined, AbortController | undefined][] = [];
    const worker = scope.track(
      new Worker(queue.name, async () => 'ok', { connection: connection(), autorun: false, limiter: { max: 1, duration: 400 } }),
    );
    worker.delay = async (ms?: number, controller?: AbortController) => {
      calls.push([ms, controller]);
    };
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const done = times(worker, 'completed', 2, 5000);
    void worker.run();
    await done;
    expect(calls.length).toBeGreaterThan(0);
    for (const [ms, controller] of calls) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(400);
      expect(controller).toBeInstanceOf(AbortController);
    }
  });

  it('close() ends a rate-limit wait in progress at once', async () => {
    const queue = scope.queue();
    const worker = new Worker(queue.name, async () => 'ok', { connection: connection(), limiter: { max: 1, duration: 60_000 } });
    const original = worker.delay.bind(worker);
    let waiting: (() => void) | undefined;
    const entered = new Promise<void>((resolve) => (waiting = resolve));
    worker.delay = (ms, controller) => {
      waiting!();
      return original(ms, controller);
    };
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    await within(entered, 5000, 'a rate-limit wait');
    await within(worker.close(), 5000, 'close() during a 60 s rate-limit wait');
  });
});
