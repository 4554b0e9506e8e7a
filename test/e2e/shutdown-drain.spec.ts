import {
  Queue as EngineQueue,
  InjectQueue,
  Process,
  Processor,
  QueueModule,
  WorkerRegistry,
  getQueueToken,
  type Job,
  type Queue,
} from 'nestjs-conveyor';
import { once } from '../support/events.js';
import { rawClient, streamEventNames } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('shutdown: app.close() drains active jobs', () => {
  const nest = nestPerTest();

  it('stops fetching, waits for the job in flight, which can still add a job to another queue; nothing stalls', async () => {
    const [orders, invoices] = [nest.name('e2e-orders'), nest.name('e2e-invoices')];
    const active = deferred<Job>(5000, 'active');
    const release = deferred(10_000, 'release');

    @Processor(orders)
    class OrderProcessor {
      constructor(@InjectQueue(invoices) private readonly invoiceQueue: Queue) {}

      @Process()
      async run(job: Job) {
        active.resolve(job);
        await release.promise;
        const invoice = await this.invoiceQueue.add('invoice', { order: job.id });
        return { invoice: invoice.id };
      }
    }

    const { app } = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name: orders }, { name: invoices })],
      providers: [OrderProcessor],
    });
    const job = await app.get<Queue>(getQueueToken(orders)).add('order', {});
    await active.promise;

    const worker = app.get(WorkerRegistry).get(orders);
    const closingStarted = once(worker, 'closing');
    const closed = app.close();
    await closingStarted;
    // added after fetching stopped: must stay waiting
    const outsider = new EngineQueue(orders, { connection: redisOptions() });
    const client = rawClient();
    try {
      const late = await outsider.add('late', {});
      release.resolve();
      await closed;

      const finished = (await outsider.getJob(job.id!))!;
      expect(await finished.getState()).toBe('completed');
      const invoiceId = (finished.returnvalue as { invoice: string }).invoice;
      expect(await client.hget(`bull:${invoices}:${invoiceId}`, 'name')).toBe('invoice');
      expect(await late.getState()).toBe('waiting');
      expect(await streamEventNames(client, orders)).not.toContain('stalled');
    } finally {
      await outsider.close();
      client.disconnect();
    }
  });
});
