import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  InjectQueue,
  Process,
  Processor,
  QueueModule,
  getQueueToken,
  type Job,
  type Queue,
  type QueueModuleOptions,
  type QueueModuleOptionsFactory,
  type QueueRegistrationOptions,
  type RegisterQueueOptionsFactory,
} from 'nestjs-conveyor';
import { REDIS_URL, rawClient, uniqueName } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('QueueModule configuration', () => {
  const nest = nestPerTest();

  it('forRootAsync reads the connection from @nestjs/config; registerQueueAsync takes options from a factory', async () => {
    const name = uniqueName('e2e-cfg');
    const prefix = uniqueName('pfx');
    nest.removeKeysOf(name, prefix);
    const config = () => ({ redis: { url: REDIS_URL, prefix }, emails: { attempts: 4 } });

    @Injectable()
    class Sender {
      constructor(@InjectQueue(name) readonly queue: Queue) {}
    }

    const booted = await nest.boot({
      imports: [
        ConfigModule.forRoot({ load: [config], ignoreEnvFile: true }),
        QueueModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (cfg: ConfigService): QueueModuleOptions => ({
            connection: cfg.getOrThrow<string>('redis.url'),
            prefix: cfg.getOrThrow<string>('redis.prefix'),
            defaultJobOptions: { removeOnComplete: 10 },
          }),
        }),
        QueueModule.registerQueueAsync({
          name,
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (cfg: ConfigService): QueueRegistrationOptions => ({
            defaultJobOptions: { attempts: cfg.getOrThrow<number>('emails.attempts') },
          }),
        }),
      ],
      providers: [Sender],
    });
    const { queue } = booted.app.get(Sender);
    expect(queue.prefix).toBe(prefix);
    expect(queue.defaultJobOptions).toEqual({ removeOnComplete: 10, attempts: 4 });
    const job = await queue.add('hello', {});
    const client = rawClient();
    try {
      expect(await client.hget(`${prefix}:${name}:${job.id}`, 'name')).toBe('hello');
    } finally {
      client.disconnect();
    }
  });

  it('forRootAsync and registerQueueAsync take useClass and useExisting factories', async () => {
    const name = nest.name('e2e-cls');

    @Injectable()
    class RootOptions implements QueueModuleOptionsFactory {
      createQueueModuleOptions(): QueueModuleOptions {
        return { connection: redisOptions(), shutdownTimeoutMs: 1234 };
      }
    }

    @Injectable()
    class QueueOptions implements RegisterQueueOptionsFactory {
      createRegisterQueueOptions(): QueueRegistrationOptions {
        return { defaultJobOptions: { priority: 7 } };
      }
    }

    @Module({ providers: [QueueOptions], exports: [QueueOptions] })
    class OptionsModule {}

    const booted = await nest.boot({
      imports: [
        QueueModule.forRootAsync({ useClass: RootOptions }),
        QueueModule.registerQueueAsync({ name, imports: [OptionsModule], useExisting: QueueOptions }),
      ],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    expect(queue.defaultJobOptions).toEqual({ priority: 7 });
    expect((await queue.add('p', {})).opts.priority).toBe(7);
  });

  it('forRootAsync takes useExisting (from an imported module) and registerQueueAsync takes useClass', async () => {
    const name = nest.name('e2e-exist');

    @Injectable()
    class SharedOptions implements QueueModuleOptionsFactory {
      createQueueModuleOptions(): QueueModuleOptions {
        return { connection: redisOptions(), defaultJobOptions: { attempts: 2 } };
      }
    }

    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class SharedModule {}

    @Injectable()
    class PerQueue implements RegisterQueueOptionsFactory {
      createRegisterQueueOptions(): QueueRegistrationOptions {
        return { defaultJobOptions: { lifo: true } };
      }
    }

    const booted = await nest.boot({
      imports: [
        QueueModule.forRootAsync({ imports: [SharedModule], useExisting: SharedOptions }),
        QueueModule.registerQueueAsync({ name, useClass: PerQueue }),
      ],
    });
    expect(booted.app.get<Queue>(getQueueToken(name)).defaultJobOptions).toEqual({ attempts: 2, lifo: true });
  });

  it('opens named connections (configKey); queues of one connection share one command connection', async () => {
    const [a, b] = [nest.name('e2e-a'), nest.name('e2e-b')];
    const otherPrefix = uniqueName('pfx');
    const other = nest.name('e2e-other', otherPrefix);
    const done = deferred<string>(5000, 'job on the named connection');

    @Processor(other)
    class OtherProcessor {
      @Process() run(job: Job) {
        done.resolve(`${job.prefix}:${job.name}`);
      }
    }

    const booted = await nest.boot({
      imports: [
        QueueModule.forRoot({ connection: redisOptions() }),
        QueueModule.forRoot({ configKey: 'analytics', connection: redisOptions(), prefix: otherPrefix }),
        QueueModule.registerQueue({ name: a }, { name: b }),
        QueueModule.registerQueue({ name: other, configKey: 'analytics' }),
      ],
      providers: [OtherProcessor],
    });
    const [qa, qb, qo] = [a, b, other].map((n) => booted.app.get<Queue>(getQueueToken(n)));
    const [ca, cb, co] = await Promise.all([qa.client, qb.client, qo.client]);
    expect(ca).toBe(cb);
    expect(co).not.toBe(ca);
    expect(qo.prefix).toBe(otherPrefix);
    await qo.add('track', {});
    expect(await done.promise).toBe(`${otherPrefix}:track`);
  });
});
