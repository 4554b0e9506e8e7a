import { OnQueueEvent, Process, Processor, Queue, QueueEventsListener, QueueModule, Worker, getQueueToken } from 'nestjs-conveyor';
import { rawClient } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('@QueueEventsListener: global events', () => {
  const nest = nestPerTest();

  it('delivers stream events with their arguments to every listener class, through one shared QueueEvents', async () => {
    const name = nest.name('e2e-qe');
    const completed = deferred<unknown[]>(5000, 'completed');
    const failed = deferred<unknown[]>(5000, 'failed');
    const added: string[] = [];

    @Processor(name)
    class Work {
      @Process('good') good() {
        return { answer: 42 };
      }
      @Process('bad') bad() {
        throw new Error('nope');
      }
    }

    @QueueEventsListener(name)
    class Completions {
      @OnQueueEvent('added') added({ name: jobName }: { name: string }) {
        added.push(jobName);
      }
      @OnQueueEvent('completed') done(...args: unknown[]) {
        completed.resolve(args);
      }
    }

    @QueueEventsListener({ name })
    class Failures {
      @OnQueueEvent('failed') failed(...args: unknown[]) {
        failed.resolve(args);
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Work, Completions, Failures],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const good = await queue.add('good', {});
    const bad = await queue.add('bad', {});

    const [completedArgs, completedId] = await completed.promise;
    expect(completedArgs).toEqual({ jobId: good.id, returnvalue: { answer: 42 }, prev: 'active' });
    expect(completedId).toMatch(/^\d+-\d+$/);
    const [failedArgs] = await failed.promise;
    expect(failedArgs).toEqual({ jobId: bad.id, failedReason: 'nope', prev: 'active' });
    expect(added).toEqual(['good', 'bad']);

    const client = rawClient();
    try {
      const readers = ((await client.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.includes(`name=bull:${Buffer.from(name).toString('base64')}:qe `));
      expect(readers).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });

  it('listens to a queue this app does not register (produced and processed elsewhere)', async () => {
    const name = nest.name('e2e-qe-remote');
    const completed = deferred<unknown>(5000, 'completed');

    @QueueEventsListener(name)
    class Remote {
      @OnQueueEvent('completed') done(args: unknown) {
        completed.resolve(args);
      }
    }

    await nest.boot({ imports: [QueueModule.forRoot({ connection: redisOptions() })], providers: [Remote] });
    const queue = new Queue(name, { connection: redisOptions() });
    const worker = new Worker(name, async () => 'elsewhere', { connection: redisOptions() });
    try {
      const job = await queue.add('x', {});
      expect(await completed.promise).toEqual({ jobId: job.id, returnvalue: 'elsewhere', prev: 'active' });
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
