// takesSignal: which processors are given their job's AbortSignal. A wrong "no" would take the
// signal from a processor that reads it; every shape that can reach a third argument must say yes.
import type { Job } from '../../lib/engine/job/job.js';
import { takesSignal } from '../../lib/engine/worker/processor-arity.js';
import { once } from '../support/events.js';
import { scopePerTest } from '../support/scope.js';
import { aborted, deferred, within } from '../support/wait.js';

/* eslint-disable @typescript-eslint/no-unused-vars, prefer-rest-params */
describe('takesSignal', () => {
  it('no: fewer than three plain parameters, no arguments, no eval', () => {
    expect(takesSignal(async () => undefined)).toBe(false);
    expect(takesSignal(async (job: unknown) => job)).toBe(false);
    expect(takesSignal((job: unknown, token: unknown) => [job, token])).toBe(false);
    expect(
      takesSignal(async function named(job: unknown) {
        const x = job;
        return x;
      }),
    ).toBe(false);
    expect(
      takesSignal(
        {
          async process(job: unknown) {
            return job;
          },
        }.process,
      ),
    ).toBe(false);
    expect(takesSignal(({ data }: { data: unknown }) => data)).toBe(false);
    expect(takesSignal(([a, b]: unknown[]) => a ?? b)).toBe(false);
  });

  it('yes: a third parameter, or any way to reach it', () => {
    expect(takesSignal((job: unknown, token: unknown, signal: unknown) => signal)).toBe(true);
    expect(takesSignal((...args: unknown[]) => args[2])).toBe(true);
    expect(takesSignal((job: unknown, ...rest: unknown[]) => rest)).toBe(true);
    expect(
      takesSignal(function (job: unknown) {
        return arguments[2];
      }),
    ).toBe(true);
    expect(takesSignal((job: unknown, token = 'x', signal?: unknown) => signal)).toBe(true);
    expect(takesSignal(({ data = 1 }: { data?: number }) => data)).toBe(true);
    expect(takesSignal((job: unknown /* , token, signal */) => job)).toBe(true);
    expect(
      takesSignal(function (this: unknown, job: unknown) {
        return eval('job');
      }),
    ).toBe(true);
    const bound = ((job: unknown) => job).bind(null);
    expect(takesSignal(bound)).toBe(true);
    expect(takesSignal(new Proxy((job: unknown) => job, {}))).toBe(true);
    expect(takesSignal(Math.max)).toBe(true);
    expect(
      takesSignal(
        {
          [Symbol.for('(')](job: unknown) {
            return job;
          },
        }[Symbol.for('(')],
      ),
    ).toBe(true);
    expect(takesSignal(undefined)).toBe(true);
    // an arrow in a comment before the parameter list is not the function's own
    expect(takesSignal(new Function('return async /* => */ (job, token, signal = 1) => signal')())).toBe(true);
  });
});

describe('a worker whose processor takes no signal', () => {
  const scope = scopePerTest();

  it('runs it all the same, and cancelJob still finds its job', async () => {
    const queue = scope.queue();
    const started = deferred<void>();
    const release = scope.gate();
    const worker = scope.worker(queue, async (job: Job) => {
      started.resolve();
      await release.promise;
      return job.data.n;
    });
    const completed = once<[Job, unknown]>(worker, 'completed', 5000);
    const job = await queue.add('a', { n: 3 });
    await within(started.promise, 5000, 'the processor');
    expect(worker.cancelJob(job.id!, 'no one listens')).toBe(true);
    release.resolve();
    const [, value] = await completed;
    expect(value).toBe(3);
  });

  it('a processor that reads arguments[2] gets the signal, and cancelJob aborts it', async () => {
    const queue = scope.queue();
    const started = deferred<void>();
    const worker = scope.worker(queue, function () {
      const signal = arguments[2] as AbortSignal;
      started.resolve();
      return aborted(signal).then((reason) => `stopped: ${String(reason)}`);
    });
    const completed = once<[Job, unknown]>(worker, 'completed', 5000);
    const job = await queue.add('a', {});
    await within(started.promise, 5000, 'the processor');
    expect(worker.cancelJob(job.id!, 'now')).toBe(true);
    const [, value] = await completed;
    expect(value).toBe('stopped: now');
  });
});
