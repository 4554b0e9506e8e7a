import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { ContextIdFactory, createContextId, type ContextId } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  BullModule,
  FlowProducer,
  JOB_REF,
  OnQueueEvent,
  Processor,
  ProcessorDecoratorService,
  Queue,
  QueueEventsHost,
  QueueEventsListener,
  QueueModule,
  WorkerHost,
  WorkerRegistry,
  getFlowProducerToken,
  getQueueToken,
  getSharedConfigToken,
  type Job,
  type Processor as ProcessorFunction,
  type RegisterFlowProducerOptionsFactory,
  type SharedBullConfigurationFactory,
} from 'nestjs-conveyor';
import { deferred } from '../support/wait.js';
import { nestPerTest, RecordingLogger, redisOptions } from './support/nest.js';

// The hooks @nestjs/bullmq offers around processors and listeners, on Conveyor: the processor
// decorator service, listener options, durable providers, extra providers and factory classes.

describe('processor and listener hooks', () => {
  const nest = nestPerTest();

  function queueName(label = 'e2e-hook') {
    const name = nest.name(label);
    return name;
  }

  it('runs every job of a @Processor class through ProcessorDecoratorService.decorate, when overridden', async () => {
    const name = queueName();
    const seen: string[] = [];

    @Processor(name)
    class Work extends WorkerHost {
      async process(job: Job) {
        seen.push(`process ${job.name}`);
        return 'inner';
      }
    }

    class Tracing extends ProcessorDecoratorService {
      override decorate(processor: ProcessorFunction<unknown, unknown>): ProcessorFunction<unknown, unknown> {
        return async (job, token, signal) => {
          seen.push(`before ${job.name}`);
          const result = await processor(job, token, signal);
          return `traced ${result}`;
        };
      }
    }

    const moduleRef = await Test.createTestingModule({
      imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name })],
      providers: [Work],
    })
      .overrideProvider(ProcessorDecoratorService)
      .useClass(Tracing)
      .setLogger(new RecordingLogger())
      .compile();
    nest.track(moduleRef);
    await moduleRef.init();
    const job = await moduleRef.get<Queue>(getQueueToken(name)).add('x', {});
    const completed = deferred<unknown>(5000, 'completed');
    moduleRef.get(Work).worker.on('completed', (_job: Job, result: unknown) => completed.resolve(result));
    expect(await completed.promise).toBe('traced inner');
    expect(seen).toEqual(['before x', 'process x']);
    expect(job.id).toBeDefined();
  });

  it('gives a listener with options a QueueEvents of its own: lastEventId "0" replays what happened before boot', async () => {
    const name = queueName();
    const producer = new Queue(name, { connection: redisOptions() });
    const early = await producer.add('before-boot', {});
    await producer.close();
    const replayed = deferred<string>(5000, 'replayed added event');

    @QueueEventsListener(name, { lastEventId: '0' })
    class Replay extends QueueEventsHost {
      @OnQueueEvent('added') added({ jobId }: { jobId: string }) {
        replayed.resolve(jobId);
      }
    }

    @QueueEventsListener(name)
    class Live extends QueueEventsHost {}

    const booted = await nest.boot({
      imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name })],
      providers: [Replay, Live],
    });
    expect(await replayed.promise).toBe(early.id);
    const [replay, live] = [booted.app.get(Replay).queueEvents, booted.app.get(Live).queueEvents];
    expect(replay).not.toBe(live);
    expect(replay.opts.lastEventId).toBe('0');
  });

  it("resolves durable dependencies of a request-scoped processor through the app's ContextIdStrategy", async () => {
    const name = queueName();
    const durableContext: ContextId = createContextId();
    let durableMade = 0;

    @Injectable({ scope: Scope.REQUEST, durable: true })
    class Tenant {
      readonly serial = ++durableMade;
    }

    @Processor({ name, scope: Scope.REQUEST })
    class Work extends WorkerHost {
      constructor(
        private readonly tenant: Tenant,
        @Inject(JOB_REF) private readonly job: Job,
      ) {
        super();
      }
      async process(job: Job) {
        return { tenant: this.tenant.serial, sameJob: this.job === job };
      }
    }

    ContextIdFactory.apply({ attach: (contextId) => (info) => (info.isTreeDurable ? durableContext : contextId) });
    try {
      const booted = await nest.boot({
        imports: [BullModule.forRoot({ connection: redisOptions() }), BullModule.registerQueue({ name })],
        providers: [Tenant, Work],
      });
      const queue = booted.app.get<Queue>(getQueueToken(name));
      const results: unknown[] = [];
      const done = deferred(5000, 'two jobs');
      const worker = booted.app.get(WorkerRegistry).get(name);
      worker.on('completed', (_job: Job, result: unknown) => {
        results.push(result);
        if (results.length === 2) done.resolve();
      });
      await queue.add('a', {});
      await queue.add('b', {});
      await done.promise;
      expect(results).toEqual([
        { tenant: 1, sameJob: true },
        { tenant: 1, sameJob: true },
      ]);
    } finally {
      ContextIdFactory.apply({ attach: (contextId) => () => contextId });
    }
  });

  it('gives factories their extraProviders; QueueModule.forRootAsync takes a SharedBullConfigurationFactory class too', async () => {
    const name = queueName();

    @Injectable()
    class Settings {
      readonly attempts = 5;
    }

    @Injectable()
    class RootConfig implements SharedBullConfigurationFactory {
      createSharedConfiguration() {
        return { connection: redisOptions(), defaultJobOptions: { removeOnComplete: true } };
      }
    }

    const booted = await nest.boot({
      imports: [
        QueueModule.forRootAsync({ useClass: RootConfig }),
        BullModule.forRootAsync('extra', {
          useFactory: (settings: Settings) => ({ connection: redisOptions(), defaultJobOptions: { attempts: settings.attempts } }),
          inject: [Settings],
          extraProviders: [Settings],
        }),
        BullModule.registerQueueAsync({
          name,
          configKey: 'extra',
          useFactory: (settings: Settings) => ({ defaultJobOptions: { attempts: settings.attempts + 1 } }),
          inject: [Settings],
          extraProviders: [Settings],
        }),
      ],
    });
    expect(booted.app.get<Queue>(getQueueToken(name)).defaultJobOptions).toEqual({ attempts: 6 });
  });

  it('forRootAsync and registerFlowProducerAsync take useExisting: the options class of another module', async () => {
    @Injectable()
    class SharedConfig implements SharedBullConfigurationFactory, RegisterFlowProducerOptionsFactory {
      createSharedConfiguration() {
        return { connection: redisOptions(), prefix: 'from-existing' };
      }
      createRegisterQueueOptions() {
        return { prefix: 'flows-from-existing' };
      }
    }

    @Module({ providers: [SharedConfig], exports: [SharedConfig] })
    class ConfigHolder {}

    const booted = await nest.boot({
      imports: [
        BullModule.forRootAsync({ imports: [ConfigHolder], useExisting: SharedConfig }),
        BullModule.registerFlowProducerAsync({ name: 'existing', imports: [ConfigHolder], useExisting: SharedConfig }),
      ],
    });
    expect(booted.app.get(getSharedConfigToken())).toEqual({ connection: redisOptions(), prefix: 'from-existing' });
    expect(booted.app.get<FlowProducer>(getFlowProducerToken('existing')).prefix).toBe('flows-from-existing');
  });

  it('makes no worker for the processors option in a producer-only app', async () => {
    const name = queueName();
    const booted = await nest.boot({
      imports: [
        BullModule.forRoot({ connection: redisOptions(), workers: false }),
        BullModule.registerQueue({ name, processors: [async () => 'never'] }),
      ],
    });
    expect(booted.app.get(WorkerRegistry).list()).toEqual([]);
  });

  it("lists the processors option's workers in WorkerRegistry, each started with the app", async () => {
    const name = queueName();
    const booted = await nest.boot({
      imports: [
        BullModule.forRoot({ connection: redisOptions() }),
        BullModule.registerQueue({ name, processors: [async () => 'one', { callback: async () => 'two', concurrency: 3 }] }),
      ],
    });
    expect(
      booted.app
        .get(WorkerRegistry)
        .list()
        .map(({ processor, running, concurrency }) => ({ processor, running, concurrency })),
    ).toEqual([
      { processor: `processors[0] of queue "${name}"`, running: true, concurrency: 1 },
      { processor: `processors[1] of queue "${name}"`, running: true, concurrency: 3 },
    ]);
  });
});
