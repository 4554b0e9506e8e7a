import { Injectable, Module } from '@nestjs/common';
import {
  Process,
  Processor,
  QueueEvents,
  QueueModule,
  UnrecoverableError,
  WorkerHost,
  WorkerRegistry,
  getQueueToken,
  type Job,
  type Queue,
} from 'nestjs-conveyor';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

@Injectable()
class Greeter {
  greet(name: string) {
    return `hello ${name}`;
  }
}

describe('processors: DI and routing by job name', () => {
  const nest = nestPerTest();

  const queueName = () => nest.name('e2e-route');

  it('routes each job name to its @Process handler and the rest to the catch-all, with injected services', async () => {
    const name = queueName();
    const seen: string[] = [];

    @Processor(name)
    class RoutedProcessor {
      constructor(private readonly greeter: Greeter) {}

      @Process('welcome')
      welcome(job: Job<{ to: string }>) {
        seen.push(`welcome:${job.id}`);
        return this.greeter.greet(job.data.to);
      }

      @Process('bye')
      async bye(job: Job, token: string | undefined, signal: AbortSignal | undefined) {
        seen.push(`bye:${job.id}`);
        return { hasToken: typeof token === 'string', hasSignal: signal instanceof AbortSignal };
      }

      @Process()
      other(job: Job) {
        seen.push(`other:${job.name}`);
        return 'fallback';
      }
    }

    @Module({ imports: [QueueModule.registerQueue({ name })], providers: [Greeter, RoutedProcessor] })
    class FeatureModule {}

    const booted = await nest.boot({ imports: [QueueModule.forRoot({ connection: redisOptions() }), FeatureModule] });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const welcome = await queue.add('welcome', { to: 'ada' });
    const bye = await queue.add('bye', {});
    const misc = await queue.add('misc', {});

    const listener = new QueueEvents(name, { connection: redisOptions() });
    try {
      await listener.waitUntilReady();
      expect(await welcome.waitUntilFinished(listener, 5000)).toBe('hello ada');
      expect(await bye.waitUntilFinished(listener, 5000)).toEqual({ hasToken: true, hasSignal: true });
      expect(await misc.waitUntilFinished(listener, 5000)).toBe('fallback');
    } finally {
      await listener.close();
    }
    expect(seen).toEqual([`welcome:${welcome.id}`, `bye:${bye.id}`, 'other:misc']);
  });

  it('fails a job whose name no handler takes at once, naming the job name and the class', async () => {
    const name = queueName();
    const failed = deferred<[Job, Error]>(5000, 'failed');

    @Processor(name)
    class OnlyWelcome {
      @Process('welcome')
      welcome() {
        return 'ok';
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [OnlyWelcome],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const registry = booted.app.get(WorkerRegistry);
    registry.get(name).on('failed', (job: Job, err: Error) => failed.resolve([job, err]));

    const job = await queue.add('mystery', {}, { attempts: 5, backoff: 10 });
    const [failedJob, err] = await failed.promise;
    expect(failedJob.id).toBe(job.id);
    expect(err).toBeInstanceOf(UnrecoverableError);
    const stored = await queue.getJob(job.id!);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.attemptsMade).toBe(1);
    expect(stored!.failedReason).toContain('"mystery"');
    expect(stored!.failedReason).toContain('OnlyWelcome');
  });

  it('runs a WorkerHost subclass for every job and gives it its worker', async () => {
    const name = queueName();
    const done = deferred<unknown>(5000, 'process');

    @Processor(name, { concurrency: 3 })
    class HostProcessor extends WorkerHost {
      constructor(private readonly greeter: Greeter) {
        super();
      }

      async process(job: Job<{ to: string }>) {
        done.resolve({ greeting: this.greeter.greet(job.data.to), concurrency: this.worker.concurrency, queue: this.worker.name });
        return null;
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Greeter, HostProcessor],
    });
    await booted.app.get<Queue>(getQueueToken(name)).add('anything', { to: 'grace' });
    expect(await done.promise).toEqual({ greeting: 'hello grace', concurrency: 3, queue: name });
  });
});
