import { Module, type DynamicModule } from '@nestjs/common';
import {
  OnQueueEvent,
  Process,
  Processor,
  QueueEventsListener,
  QueueModule,
  WorkerHost,
  WorkerNotReadyError,
  WorkerRegistry,
  getQueueToken,
  type Job,
  type Queue,
} from 'nestjs-conveyor';
import { uniqueName } from '../support/redis.js';
import { boot, cleanQueues, deferred, redisOptions, type Booted } from './support/nest.js';

describe('producer-only mode: forRoot({ workers: false })', () => {
  const apps: Booted[] = [];
  const queues: string[] = [];
  afterEach(async () => {
    for (const { app } of apps.splice(0)) await app.close();
    await cleanQueues(queues.splice(0));
  });

  it('the same modules run as an API process without workers beside a worker process', async () => {
    const name = uniqueName('e2e-api');
    queues.push(name);
    const processedBy = deferred<string>(5000, 'processed');
    const seenByApi = deferred<unknown>(5000, 'completed event in the API process');

    @Processor(name)
    class Work {
      @Process() run(job: Job) { processedBy.resolve(job.id!); return 'from the worker process'; }
    }

    @QueueEventsListener(name)
    class Progress {
      @OnQueueEvent('completed') done(args: unknown) { seenByApi.resolve(args); }
    }

    @Module({ imports: [QueueModule.registerQueue({ name })], providers: [Work] })
    class JobsModule {}

    // what an app module does with a role setting: one code base, two processes
    const appModule = (workers: boolean): DynamicModule => ({
      module: class AppModule {},
      imports: [QueueModule.forRoot({ connection: redisOptions(), workers }), JobsModule],
      providers: workers ? [] : [Progress],
    });

    const api = await boot({ imports: [appModule(false)] });
    apps.push(api);
    expect(api.app.get(WorkerRegistry).list()).toEqual([]);
    const job = await api.app.get<Queue>(getQueueToken(name)).add('x', {});
    expect(await job.getState()).toBe('waiting');

    const worker = await boot({ imports: [appModule(true)] });
    apps.push(worker);
    expect(worker.app.get(WorkerRegistry).list()).toHaveLength(1);
    expect(await processedBy.promise).toBe(job.id);
    expect(await seenByApi.promise).toEqual({ jobId: job.id, returnvalue: 'from the worker process', prev: 'active' });
  });

  it('a WorkerHost in a producer-only app has no worker, and says why', async () => {
    const name = uniqueName('e2e-api-host');
    queues.push(name);

    @Processor(name)
    class Host extends WorkerHost {
      async process() {
        return null;
      }
    }

    const api = await boot({
      imports: [QueueModule.forRoot({ connection: redisOptions(), workers: false }), QueueModule.registerQueue({ name })],
      providers: [Host],
    });
    apps.push(api);
    const host = api.app.get(Host);
    expect(() => host.worker).toThrow(WorkerNotReadyError);
    expect(() => host.worker).toThrow(/Host does not exist yet.*onApplicationBootstrap.*workers: false/);
  });
});
