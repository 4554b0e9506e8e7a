import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectQueue, Process, Processor, QueueModule, WorkerRegistry, getQueueToken, type Job, type Queue } from 'nestjs-conveyor';
import { once } from '../support/events.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('when workers run', () => {
  const nest = nestPerTest();

  const queueName = () => nest.name('e2e-life');

  it('workers stay idle until the app has bootstrapped, then process what was added during init', async () => {
    const name = queueName();
    const timeline: string[] = [];
    const processed = deferred<string>(5000, 'processed');

    @Processor(name)
    class Work {
      @Process() run(job: Job) {
        timeline.push('processed');
        processed.resolve(job.id!);
      }
    }

    // a provider of the root module: its onModuleInit runs after the queue module's
    @Injectable()
    class EarlyProducer implements OnModuleInit {
      constructor(
        @InjectQueue(name) private readonly queue: Queue,
        private readonly registry: WorkerRegistry,
      ) {}
      async onModuleInit() {
        const job = await this.queue.add('early', {});
        // a round trip later a running worker would have the job; these workers do not run yet
        timeline.push(`during init: ${await (await this.queue.getJob(job.id!))!.getState()}, running=${this.registry.list()[0].running}`);
      }
    }

    await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Work, EarlyProducer],
    });
    await processed.promise;
    expect(timeline).toEqual(['during init: waiting, running=false', 'processed']);
  });

  it('a processor with autorun: false waits for WorkerRegistry.start', async () => {
    const name = queueName();
    @Processor(name, { autorun: false })
    class Manual {
      @Process() run() {
        return 'manual';
      }
    }
    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Manual],
    });
    const registry = booted.app.get(WorkerRegistry);
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const job = await queue.add('x', {});
    expect(registry.list()).toEqual([
      expect.objectContaining({ queueName: name, configKey: 'default', processor: 'Manual', running: false, closed: false }),
    ]);
    expect(await job.getState()).toBe('waiting');

    const completed = once(registry.get(name), 'completed');
    registry.start(name);
    const [done] = await completed;
    expect(done.id).toBe(job.id);
  });

  it('WorkerRegistry pauses, resumes, closes and starts workers again at run time', async () => {
    const name = queueName();
    @Processor(name)
    class Work {
      @Process() run(job: Job) {
        return job.data.n;
      }
    }
    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Work],
    });
    const registry = booted.app.get(WorkerRegistry);
    const queue = booted.app.get<Queue>(getQueueToken(name));

    await registry.pause(name);
    expect(registry.list()[0]).toMatchObject({ running: true, paused: true });
    const paused = await queue.add('while-paused', { n: 1 });
    expect(await paused.getState()).toBe('waiting');

    const afterResume = once(registry.get(name), 'completed');
    await registry.resume(name);
    expect((await afterResume)[0].id).toBe(paused.id);

    await registry.close(name);
    expect(registry.list()[0]).toMatchObject({ running: false, closed: true });
    const whileClosed = await queue.add('while-closed', { n: 2 });
    expect(await whileClosed.getState()).toBe('waiting');

    registry.start();
    const worker = registry.get(name);
    expect(worker.closed).toBe(false);
    expect(registry.list()[0]).toMatchObject({ running: true, closed: false });
    const [again] = await once(worker, 'completed');
    expect(again.id).toBe(whileClosed.id);
  });

  it("WorkerRegistry.close(queue, true) aborts the jobs in hand and hands them back to wait at once (not bullmq's close(true))", async () => {
    const name = queueName();
    const started = deferred(5000, 'the job to start');
    const aborted = deferred<unknown>(5000, 'the signal to abort');
    @Processor(name)
    class Stuck {
      @Process() run(_job: Job, _token: string, signal: AbortSignal) {
        started.resolve();
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted.resolve(signal.reason);
            reject(signal.reason);
          }),
        );
      }
    }
    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Stuck],
    });
    const registry = booted.app.get(WorkerRegistry);
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const job = await queue.add('stuck', {});
    await started.promise;
    await registry.close(name, true);
    expect(await aborted.promise).toBeInstanceOf(Error);
    // back in wait with no attempt used, not left in active for the stalled checker
    expect(await job.getState()).toBe('waiting');
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(0);
    expect(registry.list()[0]).toMatchObject({ closed: true });
  });

  it('a paused worker is listed as started (running: true) and start() leaves it paused', async () => {
    const name = queueName();
    @Processor(name)
    class Work {
      @Process() run() {
        return 'ok';
      }
    }
    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Work],
    });
    const registry = booted.app.get(WorkerRegistry);
    await registry.pause(name);
    const worker = registry.get(name);
    // as bullmq's, a paused worker is not running...
    expect(worker.isRunning()).toBe(false);
    // ...but the registry reports it started, and paused
    expect(registry.list()[0]).toMatchObject({ running: true, paused: true });
    expect(WorkerRegistry.stateOf(worker)).toBe('paused');
    registry.start(name);
    expect(registry.get(name)).toBe(worker);
    expect(worker.isPaused()).toBe(true);
  });
});
