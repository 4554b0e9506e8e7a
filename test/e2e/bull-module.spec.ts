import { Socket } from 'node:net';
import { getQueueToken as bullSharedQueueToken } from '@nestjs/bull-shared';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  BullModule,
  BullRegistrar,
  ConveyorValidationError,
  InvalidProcessorClassError,
  MissingBullSharedConfigurationError,
  OnWorkerEvent,
  Processor,
  Queue,
  QueueModule,
  WorkerHost,
  WorkerRegistry,
  getSharedConfigToken,
  type Job,
} from 'nestjs-conveyor';
import { times } from '../support/events.js';
import { uniqueName } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { bootError, nestPerTest, redisOptions } from './support/nest.js';

// What BullModule adds to the shared module implementation, beyond what the @nestjs/bullmq apps
// (nest-bullmq-apps.spec.ts) show: manual registration per connection, tokens other packages
// use, the class setters, shutdown options, and the checks that name what is wrong.

/** Sockets of this process to the test Redis, connected or still connecting. */
function redisSockets(): number {
  const { port } = redisOptions();
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter((h) => h instanceof Socket && !h.destroyed && (h.connecting || h.remotePort === port)).length;
}

/** Absence cannot be awaited: checks `check` holds all through `ms` (a leaked client connects within it). */
async function holdsFor(check: () => boolean, what: string, ms = 500): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!check()) throw new Error(`expected ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('BullModule', () => {
  const nest = nestPerTest();

  const queueName = (label = 'e2e-bull') => nest.name(label);

  it('provides forRoot options under getSharedConfigToken and queues under the token @nestjs/bull-shared computes', async () => {
    const name = queueName();

    @Injectable()
    class Reader {
      constructor(
        @Inject(getSharedConfigToken()) readonly shared: object,
        @Inject(getSharedConfigToken('other')) readonly other: object,
      ) {}
    }

    const booted = await nest.boot({
      imports: [
        BullModule.forRoot({ connection: redisOptions(), defaultJobOptions: { attempts: 2 }, extraOptions: { manualRegistration: false } }),
        BullModule.forRoot('other', { connection: redisOptions(), prefix: 'other-prefix' }),
        BullModule.registerQueue({ name }),
      ],
      providers: [Reader],
    });
    const reader = booted.app.get(Reader);
    expect(reader.shared).toEqual({ connection: redisOptions(), defaultJobOptions: { attempts: 2 } });
    expect(reader.other).toEqual({ connection: redisOptions(), prefix: 'other-prefix' });
    expect(booted.app.get(bullSharedQueueToken(name))).toBeInstanceOf(Queue);
  });

  it('manual registration holds back the processors of its connection only; register() starts them at once, and only once', async () => {
    const held = queueName();
    const free = queueName();
    const heldDone = deferred<string>(5000, 'held job processed');
    const freeDone = deferred<string>(5000, 'free job processed');

    @Processor(held)
    class Held extends WorkerHost {
      async process(job: Job) {
        heldDone.resolve(job.name);
      }
    }

    @Processor({ name: free, configKey: 'automatic' })
    class Free extends WorkerHost {
      async process(job: Job) {
        freeDone.resolve(job.name);
      }
    }

    const booted = await nest.boot({
      imports: [
        BullModule.forRoot({ connection: redisOptions(), extraOptions: { manualRegistration: true } }),
        BullModule.forRoot('automatic', { connection: redisOptions() }),
        BullModule.registerQueue({ name: held }, { name: free, configKey: 'automatic' }),
      ],
      providers: [Held, Free],
    });
    const registry = booted.app.get(WorkerRegistry);
    expect(registry.list().map((w) => w.queueName)).toEqual([free]);
    await booted.app.get<Queue>(bullSharedQueueToken(free)).add('free', {});
    expect(await freeDone.promise).toBe('free');

    // after bootstrap, register() makes the held worker and starts it right away
    const registrar = booted.app.get(BullRegistrar);
    registrar.register();
    registrar.register();
    expect(registry.list().map((w) => [w.queueName, w.running])).toEqual([
      [free, true],
      [held, true],
    ]);
    await booted.app.get<Queue>(bullSharedQueueToken(held)).add('held', {});
    expect(await heldDone.promise).toBe('held');
  });

  it("register() called in a provider's onModuleInit, as the docs suggest, sets up every held-back processor", async () => {
    const name = queueName();

    @Processor(name)
    class Work extends WorkerHost {
      async process() {
        return 'done';
      }
    }

    @Injectable()
    class Starter implements OnModuleInit {
      constructor(private readonly bullRegistrar: BullRegistrar) {}
      onModuleInit() {
        this.bullRegistrar.register();
      }
    }

    const booted = await nest.boot({
      imports: [
        BullModule.forRoot({ connection: redisOptions(), extraOptions: { manualRegistration: true } }),
        BullModule.registerQueue({ name }),
      ],
      providers: [Work, Starter],
    });
    expect(booted.app.get(Work).worker.name).toBe(name);
    expect(booted.app.get(WorkerRegistry).list()).toHaveLength(1);
  });

  it('ignores extraOptions a forRootAsync factory returns, as @nestjs/bullmq does, and says so', async () => {
    const name = queueName();

    @Processor(name)
    class Work extends WorkerHost {
      async process() {}
    }

    const booted = await nest.boot({
      imports: [
        BullModule.forRootAsync({ useFactory: () => ({ connection: redisOptions(), extraOptions: { manualRegistration: true } }) }),
        BullModule.registerQueue({ name }),
      ],
      providers: [Work],
    });
    expect(booted.app.get(Work).worker.name).toBe(name);
    expect(booted.logger.warnings()).toContainEqual(expect.stringContaining('extraOptions returned by the factory are ignored'));
  });

  it('passes forRoot options it does not know on to the queues with a warning; QueueModule refuses them', async () => {
    const name = queueName();
    const booted = await nest.boot({
      imports: [BullModule.forRoot({ connection: redisOptions(), prefx: 'typo' } as object), BullModule.registerQueue({ name })],
    });
    expect(booted.logger.warnings()).toContainEqual(
      expect.stringMatching(/BullModule\.forRoot \(connection "default"\): unknown option "prefx"/),
    );
    await booted.app.close();

    const err = await bootError({
      imports: [QueueModule.forRoot({ connection: redisOptions(), prefx: 'typo' } as object), QueueModule.registerQueue({ name })],
    });
    expect(err).toBeInstanceOf(ConveyorValidationError);
  });

  it("names a configKey nobody opened with @nestjs/bull-shared's error and text, and leaves no connection open", async () => {
    const name = queueName();
    const before = redisSockets();
    const err = await bootError({
      imports: [
        BullModule.forRoot({ connection: redisOptions() }),
        BullModule.registerQueue({ name: `${name}-fine` }, { name, configKey: 'nope' }),
      ],
    });
    expect(err).toBeInstanceOf(MissingBullSharedConfigurationError);
    expect(err.message).toMatch(
      /^Configuration "BULLMQ_CONFIG\(nope\)" referenced from the "Queue\(e2e-bull-[^)]+\)" options does not exist/,
    );
    // Nest runs no shutdown hook after a failed boot: the module dropped what it had opened itself
    await holdsFor(() => redisSockets() <= before, 'no connection of the failed boot to stay open');
  });

  it("an @OnWorkerEvent-only class is no processor: InvalidProcessorClassError starts with @nestjs/bullmq's text", async () => {
    const name = queueName();

    @Processor(name)
    class ListensOnly {
      @OnWorkerEvent('completed') done() {}
    }

    const err = await bootError({
      imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name })],
      providers: [ListensOnly],
    });
    expect(err).toBeInstanceOf(InvalidProcessorClassError);
    expect(err.message).toMatch(/^Processor class \("ListensOnly"\) should inherit from the abstract "WorkerHost" class\./);
  });

  describe('with its own engine classes', () => {
    const made: string[] = [];

    class RecordingQueue extends Queue {
      override async close() {
        made.push(`close ${this.name}`);
        return super.close();
      }

      override async disconnect() {
        made.push(`disconnect ${this.name}`);
        return super.disconnect();
      }
    }

    afterEach(() => {
      BullModule.queueClass = Queue;
    });

    it('makes queues from queueClass; forceDisconnectOnShutdown disconnects instead of closing', async () => {
      BullModule.queueClass = RecordingQueue;
      const gentle = queueName();
      const forced = queueName();
      const booted = await nest.boot({
        imports: [
          BullModule.forRoot({ connection: redisOptions() }),
          BullModule.registerQueue({ name: gentle }, { name: forced, connection: redisOptions(), forceDisconnectOnShutdown: true }),
        ],
      });
      expect(booted.app.get(bullSharedQueueToken(gentle))).toBeInstanceOf(RecordingQueue);
      await booted.app.close();
      expect(made.sort()).toEqual([`close ${gentle}`, `disconnect ${forced}`].sort());
    });
  });

  it('a processor may set its own prefix: its worker reads there, not where the queue writes', async () => {
    const name = queueName();
    const elsewhere = uniqueName('pfx');
    nest.removeKeysOf(name, elsewhere);
    const processed = deferred<string>(5000, 'job under the processor prefix');

    @Processor(name, { prefix: elsewhere })
    class Work extends WorkerHost {
      async process(job: Job) {
        processed.resolve(job.queueQualifiedName);
      }
    }

    const booted = await nest.boot({
      imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name })],
      providers: [Work],
    });
    expect(booted.app.get(Work).worker.prefix).toBe(elsewhere);
    const producer = new Queue(name, { connection: redisOptions(), prefix: elsewhere });
    try {
      const completed = times(booted.app.get(Work).worker, 'completed', 1, 5000);
      await producer.add('x', {});
      await completed;
      expect(await processed.promise).toBe(`${elsewhere}:${name}`);
    } finally {
      await producer.close();
    }
  });
});
