// Calls made before the first connect share one wait for the connection: a burst of them must not
// add a listener per call to the client (Node warns "MaxListenersExceededWarning" past ten).
import { Queue, Worker, FlowProducer } from '../../lib/index.js';
import { connection } from '../support/redis.js';
import { Scope } from '../support/scope.js';

/** The command connection (private): its listeners are what a shared wait keeps few. */
function clientOf(owner: object): NodeJS.EventEmitter {
  return (owner as { connection: { client: NodeJS.EventEmitter } }).connection.client;
}

describe('calls before the first connect', () => {
  let scope: Scope;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  beforeEach(() => {
    scope = new Scope();
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(async () => {
    process.off('warning', onWarning);
    await scope.close();
  });

  it('400 getJob/getJobState calls right after new Queue() share one wait and all answer', async () => {
    const queue = scope.track(new Queue(scope.name(), { connection: connection() }));
    const client = clientOf(queue);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) calls.push(queue.getJob(`missing-${i}`), queue.getJobState(`missing-${i}`));
    // one shared wait: a handful of listeners, however many calls are waiting
    expect(client.listenerCount('ready')).toBeLessThanOrEqual(3);
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === undefined)).toHaveLength(200);
    expect(results.filter((r) => r === 'unknown')).toHaveLength(200);
    // 'warning' is emitted on the next tick
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('a worker and a flow producer waiting for their connection share one wait too', async () => {
    const name = scope.name();
    const worker = scope.track(new Worker(name, null, { connection: connection(), autorun: false }));
    const flows = scope.track(new FlowProducer({ connection: connection() }));
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) calls.push(worker.waitUntilReady(), flows.waitUntilReady());
    for (const owner of [worker, flows]) expect(clientOf(owner).listenerCount('ready')).toBeLessThanOrEqual(3);
    await Promise.all(calls);
  });
});
