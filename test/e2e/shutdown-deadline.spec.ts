import { Process, Processor, Queue, QueueModule, getQueueToken, type Job } from 'nestjs-conveyor';
import { rawClient, streamEventNames } from '../support/redis.js';
import { deferred, within } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

const SHUTDOWN_TIMEOUT_MS = 300;

describe('shutdown: a job outliving shutdownTimeoutMs', () => {
  const nest = nestPerTest();

  async function closeDuringJob(processor: (job: Job, signal: AbortSignal) => Promise<unknown>) {
    const name = nest.name('e2e-deadline');
    const active = deferred<Job>(5000, 'active');

    @Processor(name)
    class Slow {
      @Process()
      run(job: Job, _token: string, signal: AbortSignal) {
        active.resolve(job);
        return processor(job, signal);
      }
    }

    const { app, logger } = await nest.boot({
      imports: [
        QueueModule.forRoot({ connection: redisOptions(), shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS }),
        QueueModule.registerQueue({ name }),
      ],
      providers: [Slow],
    });
    const job = await app.get<Queue>(getQueueToken(name)).add('slow', {});
    await active.promise;
    const started = Date.now();
    // The bound is the feature: close() returns once the deadline has passed and the job is handed
    // back, never waiting for a processor that ignores its signal; 10 s over the deadline leaves
    // room for a loaded machine (the processor below would hold it for good)
    await within(app.close(), SHUTDOWN_TIMEOUT_MS + 10_000, 'app.close() with a job past the shutdown deadline');
    const elapsedMs = Date.now() - started;

    const queue = new Queue(name, { connection: redisOptions() });
    const client = rawClient();
    try {
      return {
        elapsedMs,
        state: await (await queue.getJob(job.id!))!.getState(),
        events: await streamEventNames(client, name),
        warnings: logger.warnings(),
        jobId: job.id!,
      };
    } finally {
      await queue.close();
      client.disconnect();
    }
  }

  it('has its signal aborted after the deadline and is back in wait when close() returns; nothing stalls', async () => {
    const aborted = deferred<unknown>(5000, 'abort');
    const outcome = await closeDuringJob(
      (_job, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted.resolve(signal.reason);
            reject(signal.reason);
          }),
        ),
    );
    expect(String(await aborted.promise)).toContain('moved back to wait');
    expect(outcome.state).toBe('waiting');
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS - 5);
    expect(outcome.events).not.toContain('stalled');
    expect(outcome.events).not.toContain('failed');
    expect(outcome.warnings.some((w) => w.includes(`(${JSON.stringify(outcome.jobId)}) after ${SHUTDOWN_TIMEOUT_MS} ms`))).toBe(true);
  });

  it('is handed back even when the processor ignores its signal, and close() does not wait for it', async () => {
    const never = deferred(30_000, 'never');
    try {
      const outcome = await closeDuringJob(() => never.promise);
      expect(outcome.state).toBe('waiting');
      expect(outcome.events).not.toContain('stalled');
    } finally {
      never.resolve();
    }
  });
});
