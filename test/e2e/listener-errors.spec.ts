import {
  OnJobActive,
  OnJobCompleted,
  OnQueueEvent,
  Process,
  Processor,
  QueueEventsListener,
  QueueModule,
  getQueueToken,
  type Queue,
} from 'nestjs-conveyor';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('listeners that throw', () => {
  const nest = nestPerTest();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => process.on('unhandledRejection', onUnhandled));
  afterEach(() => process.off('unhandledRejection', onUnhandled));

  it('logs sync and async throws of worker and queue event listeners; jobs go on and nothing is unhandled', async () => {
    const name = nest.name('e2e-throw');
    const processed: string[] = [];
    const globalCompleted = deferred<string[]>(8000, 'two global completions');
    const seenGlobal: string[] = [];

    @Processor(name)
    class ThrowingProcessor {
      @Process() run(job: { id?: string }) {
        processed.push(job.id!);
        return 'ok';
      }
      @OnJobActive() async activeRejects() {
        throw new Error('async worker listener failure');
      }
      @OnJobCompleted() completedThrows() {
        throw new Error('sync worker listener failure');
      }
    }

    @QueueEventsListener(name)
    class ThrowingListener {
      @OnQueueEvent('completed')
      completedThrows({ jobId }: { jobId: string }) {
        seenGlobal.push(jobId);
        if (seenGlobal.length === 2) globalCompleted.resolve(seenGlobal);
        throw new Error('sync queue listener failure');
      }

      @OnQueueEvent('active')
      async activeRejects() {
        throw new Error('async queue listener failure');
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [ThrowingProcessor, ThrowingListener],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const [a, b] = await queue.addBulk([
      { name: 'one', data: {} },
      { name: 'two', data: {} },
    ]);
    expect(await globalCompleted.promise).toEqual([a.id, b.id]);
    expect(processed).toEqual([a.id, b.id]);
    expect(await (await queue.getJob(b.id!))!.getState()).toBe('completed');

    // the async failures may be logged a tick after the event
    await new Promise((resolve) => setImmediate(resolve));
    const errors = booted.logger.errors();
    for (const expected of [
      'ThrowingProcessor.activeRejects threw while handling "active"',
      'ThrowingProcessor.completedThrows threw while handling "completed"',
      'ThrowingListener.completedThrows threw while handling "completed"',
      'ThrowingListener.activeRejects threw while handling "active"',
    ]) {
      expect(errors).toContain(expected);
    }
    expect(unhandled).toEqual([]);
  });
});
