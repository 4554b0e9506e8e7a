import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { BullModule, Process, Processor, QueueModule, WorkerHost, WorkerRegistry, getQueueToken, type Queue } from 'nestjs-conveyor';
import { QueueHealthIndicator, QueueHealthModule, type QueueHealthCheckOptions } from 'nestjs-conveyor/health';
import { freePort } from '../../scripts/redis-server.mjs';
import { once } from '../support/events.js';
import { rawClient } from '../support/redis.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('QueueHealthIndicator (nestjs-conveyor/health)', () => {
  const nest = nestPerTest();

  async function bootWithHealth(connection: object, work: string, idle: string) {
    @Processor(work)
    class Work {
      @Process('ok') ok() {
        return 'ok';
      }
      @Process('fail') fail() {
        throw new Error('planned failure');
      }
    }
    const booted = await nest.boot({
      imports: [
        QueueModule.forRoot({ connection }),
        QueueModule.registerQueue({ name: work }, { name: idle }),
        TerminusModule,
        QueueHealthModule,
      ],
      providers: [Work],
    });
    const health = booted.app.get(HealthCheckService);
    const indicator = booted.app.get(QueueHealthIndicator);
    /** Runs a terminus check; a `down` result comes back as terminus' 503 response body. */
    const check = async (options: QueueHealthCheckOptions) => {
      try {
        return await health.check([() => indicator.isHealthy('queues', options)]);
      } catch (err) {
        return (err as { getResponse(): unknown }).getResponse() as Awaited<ReturnType<HealthCheckService['check']>>;
      }
    };
    return { check, app: booted.app };
  }

  it('is up with Redis reachable, its latency, running workers and queues within their thresholds', async () => {
    const [work, idle] = [nest.name('e2e-hw'), nest.name('e2e-hi')];
    const { check } = await bootWithHealth(redisOptions(), work, idle);
    const result = await check({ queues: { [work]: { maxWaiting: 10, maxFailed: { count: 5, withinMinutes: 10 } } } });
    expect(result.status).toBe('ok');
    const details = result.details.queues;
    expect(details).toMatchObject({
      status: 'up',
      redis: { status: 'up', latencyMs: expect.any(Number) },
      workers: { [work]: 'running' },
      queues: { [work]: { waiting: 0, failed: 0, withinMinutes: 10 } },
      problems: [],
    });
  });

  it('is down with details when a waiting backlog or recent failures cross a threshold, or a worker stops', async () => {
    const [work, idle] = [nest.name('e2e-hw'), nest.name('e2e-hi')];
    const { check, app } = await bootWithHealth(redisOptions(), work, idle);
    await app.get<Queue>(getQueueToken(idle)).addBulk([1, 2, 3].map((n) => ({ name: 'x', data: { n } })));
    const worker = app.get(WorkerRegistry).get(work);
    const failed = once(worker, 'failed');
    await app.get<Queue>(getQueueToken(work)).add('fail', {});
    await failed;
    // an old failure, outside the window, does not count
    const client = rawClient();
    try {
      await client.zadd(`bull:${work}:failed`, Date.now() - 20 * 60_000, 'old-failure');
    } finally {
      client.disconnect();
    }
    await app.get(WorkerRegistry).pause(work);

    const result = await check({
      queues: { [idle]: { maxWaiting: 2 }, [work]: { maxFailed: { count: 0, withinMinutes: 10 } } },
    });
    expect(result.status).toBe('error');
    expect(result.error?.queues).toMatchObject({
      status: 'down',
      redis: { status: 'up' },
      workers: { [work]: 'paused' },
      queues: { [idle]: { waiting: 3 }, [work]: { failed: 1, withinMinutes: 10 } },
      problems: [
        `worker of queue "${work}" is paused`,
        `queue "${idle}" has 3 waiting jobs (more than 2)`,
        `queue "${work}" had 1 failed jobs in the last 10 minutes (more than 0)`,
      ],
    });
  });

  it('is down with details when Redis is unreachable', async () => {
    const port = await freePort();
    const [work, idle] = [nest.name('e2e-hw'), nest.name('e2e-hi')];
    const { check } = await bootWithHealth({ host: '127.0.0.1', port, connectTimeout: 200, maxRetriesPerRequest: 1 }, work, idle);
    const result = await check({ timeoutMs: 300, queues: { [idle]: { maxWaiting: 2 } } });
    expect(result.status).toBe('error');
    const down = result.error?.queues as unknown as { redis: { status: string; server: string; message: string }; problems: string[] };
    expect(down.redis).toMatchObject({ status: 'down', server: `127.0.0.1:${port}` });
    expect(down.redis.message).toContain(`Redis at 127.0.0.1:${port} is unreachable`);
    expect(down.problems).toEqual([down.redis.message]);
  });

  it('reports a queue with several workers as its least healthy one', async () => {
    const name = nest.name('e2e-hmany');

    @Processor(name)
    class First extends WorkerHost {
      async process() {}
    }

    @Processor(name)
    class Second extends WorkerHost {
      async process() {}
    }

    const booted = await nest.boot({
      imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name }), TerminusModule, QueueHealthModule],
      providers: [First, Second],
    });
    // the first worker registered pauses, the second runs on
    await booted.app.get(First).worker.pause();
    const details = await booted.app.get(QueueHealthIndicator).inspect();
    expect(details.workers).toEqual({ [name]: 'paused' });
    expect(details.problems).toEqual([`worker of queue "${name}" is paused`]);
  });
});
