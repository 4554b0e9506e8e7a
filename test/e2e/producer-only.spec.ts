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
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('producer-only mode: forRoot({ workers: false })', () => {
  const nest = nestPerTest();

  it('the same modules run as an API process without workers beside a worker process', async () => {
    const name = nest.name('e2e-api');
    const processedBy = deferred<string>(5000, 'processed');
    const seenByApi = deferred<unknown>(5000, 'completed event in the API process');

    @Processor(name)
    class Work {
      @Process() run(job: Job) {
        processedBy.resolve(job.id!);
        return 'from the worker process';
      }
    }

    @QueueEventsListener(name)
    class Progress {
      @OnQueueEvent('completed') done(args: unknown) {
        seenByApi.resolve(args);
      }
    }

    @Module({ imports: [QueueModule.registerQueue({ name })], providers: [Work] })
    class JobsModule {}

    // what an app module does with a role setting: one code base, two processes
    const appModule = (workers: boolean): DynamicModule => ({
      module: class AppModule {},
      imports: [QueueModule.forRoot({ connection: redisOptions(), workers }), JobsModule],
      providers: workers ? [] : [Progress],
    });

    const api = await nest.boot({ imports: [appModule(false)] });
    expect(api.app.get(WorkerRegistry).list()).toEqual([]);
    const job = await api.app.get<Queue>(getQueueToken(name)).add('x', {});
    expect(await job.getState()).toBe('waiting');

    const worker = await nest.boot({ imports: [appModule(true)] });
    expect(worker.app.get(WorkerRegistry).list()).toHaveLength(1);
    expect(await processedBy.promise).toBe(job.id);
    expect(await seenByApi.promise).toEqual({ jobId: job.id, returnvalue: 'from the worker process', prev: 'active' });
  });

  it('a WorkerHost in a producer-only app has no worker, and says why', async () => {
    const name = nest.name('e2e-api-host');

    @Processor(name)
    class Host extends WorkerHost {
      async process() {
        return null;
      }
    }

    const api = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions(), workers: false }), QueueModule.registerQueue({ name })],
      providers: [Host],
    });
    const host = api.app.get(Host);
    expect(() => host.worker).toThrow(WorkerNotReadyError);
    expect(() => host.worker).toThrow(/Host does not exist yet.*onApplicationBootstrap.*workers: false/);
  });
});
