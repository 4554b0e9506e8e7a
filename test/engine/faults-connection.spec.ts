// Redis that is not there, or goes away: producers fail fast with a clear error, workers report
// errors at a bounded rate and resume on their own when Redis is back.
import { Redis } from 'ioredis';
import { ConveyorConnectionError, Queue, Worker, type Job } from '../../lib/index.js';
import { freePort, RedisServer } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { deferred, until, within } from '../support/wait.js';
import { expectBoundedRepeats, recordErrors } from './faults-support.js';

describe('Connection faults', () => {
  const scope = scopePerTest();

  it('queue.add against a port where nothing listens rejects fast with a ConveyorConnectionError, never hangs', async () => {
    const port = await freePort();
    const connectTimeout = 300;
    const queue = new Queue(scope.name(), { connection: { host: '127.0.0.1', port, connectTimeout } });
    queue.on('error', () => {});
    scope.track(queue);
    // The bound is the feature: add() gives up after a few connect timeouts (today two: it waits
    // for the queue's meta write, which waits one, then for the connection again), where a command
    // left to the offline queue would wait through ~10 s of reconnects. Ten timeouts leave room
    // for a loaded machine.
    const error = await within(
      queue.add('j', { a: 1 }).then(
        () => undefined,
        (err: unknown) => err,
      ),
      10 * connectTimeout,
      'queue.add',
    );
    expect(error).toBeInstanceOf(ConveyorConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*(unreachable|closed)`));
  });

  it('a worker that cannot reach Redis keeps trying at a bounded rate and closes promptly', async () => {
    const port = await freePort();
    const worker = new Worker(scope.name(), async () => 1, { connection: { host: '127.0.0.1', port, connectTimeout: 300 } });
    const errors = recordErrors(worker);
    const started = Date.now();
    await expectBoundedRepeats(errors, started, 8);
    expect(errors.some((e) => /unreachable|ECONNREFUSED/.test(e.message))).toBe(true);
    await within(worker.close(), 5000, 'close() of a worker that never connected');
  });

  it("a shared connection its owner closes and opens again: the worker's finish is retried quietly (no 'error', as bullmq) and the job completes", async () => {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    scope.track({ close: async () => client.disconnect() });
    const name = scope.name();
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const started = deferred();
    const release = deferred();
    const worker = scope.track(
      new Worker(
        name,
        async () => {
          started.resolve();
          await release.promise;
          return 'done';
        },
        { connection: client },
      ),
    );
    const errors = recordErrors(worker);
    const completed = once<[Job, string]>(worker, 'completed', 10000);
    await queue.add('j', {});
    await started.promise;
    // every wait the worker asks for goes through delay(): a finish it must try again is one
    const retryWaits: number[] = [];
    const delay = worker.delay.bind(worker);
    worker.delay = (ms?: number, controller?: AbortController) => {
      retryWaits.push(ms ?? 0);
      return delay(ms, controller);
    };
    client.disconnect();
    // the finish goes out while the connection is closed ("Connection is closed.") and is refused
    release.resolve();
    await until(
      'the refused finish to wait for its retry',
      () => retryWaits.length,
      (n) => n > 0,
    );
    await client.connect();
    expect((await completed)[1]).toBe('done');
    expect(errors).toEqual([]);
  });

  it('a worker whose Redis goes away reports errors without spinning and resumes when it is back', async () => {
    const server = scope.track(await RedisServer.start());
    const conn = { host: '127.0.0.1', port: server.port, connectTimeout: 500 };
    const queue = scope.track(new Queue(scope.name(), { connection: conn }));
    queue.on('error', () => {});
    const worker = scope.track(new Worker(queue.name, async (job: Job) => `done ${job.data.n}`, { connection: conn, drainDelay: 1 }));
    const errors = recordErrors(worker);

    const first = once<[Job, string]>(worker, 'completed', 10000);
    await queue.add('before', { n: 1 });
    expect((await first)[1]).toBe('done 1');

    await server.kill();
    // the outage lasts until an error comes again: long enough to see the retry rhythm. Reconnects
    // back off (tens of ms first, then up to a second): a few errors a second, no spin
    await expectBoundedRepeats(errors, Date.now(), 6);

    await server.start();
    // a fresh producer (the old one may still be in its reconnect backoff): the worker is the point
    const producer = scope.track(new Queue(queue.name, { connection: conn }));
    const second = once<[Job, string]>(worker, 'completed', 20000);
    await within(producer.add('after', { n: 2 }), 10000, 'queue.add after Redis came back');
    expect((await second)[1]).toBe('done 2');
    expect(worker.isRunning()).toBe(true);
  }, 60000);
});
