// WorkerReporter: events whose listeners cannot break the worker, and which errors of calls that
// are retried go out. Driven with a plain EventEmitter; no Redis involved.
import { EventEmitter } from 'node:events';
import { WorkerReporter } from '../../lib/engine/worker/reporter.js';

const closed = () => new Error('Connection is closed.');

function reporterOf(emitError?: (err: unknown) => void) {
  const emitter = new EventEmitter();
  const errors: unknown[] = [];
  const reporter = new WorkerReporter(emitter, emitError ?? ((err) => errors.push(err)));
  return { emitter, errors, reporter };
}

describe('WorkerReporter', () => {
  it('notify() emits; a listener that throws becomes an error instead of breaking the caller', () => {
    const { emitter, errors, reporter } = reporterOf();
    const seen: unknown[] = [];
    emitter.on('completed', (...args) => seen.push(args));
    reporter.notify('completed', 'job', 'result');
    expect(seen).toEqual([['job', 'result']]);

    const boom = new Error('listener bug');
    emitter.on('failed', () => {
      throw boom;
    });
    expect(() => reporter.notify('failed', 'job')).not.toThrow();
    expect(errors).toEqual([boom]);
  });

  it('notify() survives an error listener that throws too', () => {
    const { emitter, reporter } = reporterOf((err) => {
      throw err;
    });
    emitter.on('active', () => {
      throw new Error('listener bug');
    });
    expect(() => reporter.notify('active')).not.toThrow();
  });

  it('report() swallows what the error listener throws; emitError() does not', () => {
    const thrower = (err: unknown) => {
      throw err;
    };
    const { reporter } = reporterOf(thrower);
    expect(() => reporter.report(new Error('x'))).not.toThrow();
    expect(() => reporter.emitError(new Error('x'))).toThrow('x');
  });

  it("a retried call reports every error but ioredis's closed connection; giving up reports that one only", () => {
    const { errors, reporter } = reporterOf();
    const oom = new Error('OOM command not allowed');
    reporter.reportRetried(oom);
    reporter.reportRetried(closed());
    expect(errors).toEqual([oom]);
    errors.length = 0;
    reporter.reportGivingUp(oom);
    expect(errors).toEqual([]);
    const last = closed();
    reporter.reportGivingUp(last);
    expect(errors).toEqual([last]);
  });

  it('listens() tells whether an event has listeners', () => {
    const { emitter, reporter } = reporterOf();
    expect(reporter.listens('locksRenewed')).toBe(false);
    emitter.on('locksRenewed', () => {});
    expect(reporter.listens('locksRenewed')).toBe(true);
  });
});
