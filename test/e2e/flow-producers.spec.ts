import { Injectable, Module } from '@nestjs/common';
import { FlowProducer, InjectFlowProducer, Process, Processor, QueueModule, getFlowProducerToken, type Job } from 'nestjs-conveyor';
import { uniqueName } from '../support/redis.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

describe('flow producers: registerFlowProducer / registerFlowProducerAsync / @InjectFlowProducer', () => {
  const nest = nestPerTest();

  it('injects a flow producer whose flow runs children first, then the parent with their results', async () => {
    const parents = nest.name('e2e-flow-parent');
    const children = nest.name('e2e-flow-child');
    const parentDone = deferred<Record<string, unknown>>(8000, 'parent processed');

    @Injectable()
    class Checkout {
      constructor(@InjectFlowProducer('orders') readonly flows: FlowProducer) {}
      place(orderId: string) {
        return this.flows.add({
          name: 'ship',
          queueName: parents,
          data: { orderId },
          children: [
            { name: 'charge', queueName: children, data: { amount: 42 } },
            { name: 'reserve', queueName: children, data: { sku: 'book' } },
          ],
        });
      }
    }

    @Processor(children)
    class ChildWork {
      @Process('charge') charge(job: Job) {
        return { charged: job.data.amount };
      }
      @Process('reserve') reserve(job: Job) {
        return { reserved: job.data.sku };
      }
    }

    @Processor(parents)
    class ParentWork {
      @Process('ship') async ship(job: Job) {
        parentDone.resolve(await job.getChildrenValues());
        return 'shipped';
      }
    }

    @Module({
      imports: [
        QueueModule.forRoot({ connection: redisOptions() }),
        QueueModule.registerQueue({ name: parents }, { name: children }),
        QueueModule.registerFlowProducer({ name: 'orders' }),
      ],
      providers: [Checkout, ChildWork, ParentWork],
    })
    class AppModule {}

    const booted = await nest.boot({ imports: [AppModule] });
    const flows = booted.app.get<FlowProducer>(getFlowProducerToken('orders'));
    expect(flows).toBeInstanceOf(FlowProducer);
    expect(booted.app.get(Checkout).flows).toBe(flows);

    const tree = await booted.app.get(Checkout).place('o-1');
    expect(tree.children).toHaveLength(2);
    expect(Object.values(await parentDone.promise).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { charged: 42 },
      { reserved: 'book' },
    ]);
  });

  it('registerFlowProducerAsync takes its options from a factory (here: the prefix)', async () => {
    const name = uniqueName('e2e-flow-async');
    const prefix = `conveyor-e2e-${name}`;
    nest.removeKeysOf(name, prefix);

    @Injectable()
    class Settings {
      readonly prefix = prefix;
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}

    const booted = await nest.boot({
      imports: [
        QueueModule.forRoot({ connection: redisOptions() }),
        QueueModule.registerFlowProducerAsync({
          name: 'reports',
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({ prefix: settings.prefix }),
        }),
      ],
    });
    const flows = booted.app.get<FlowProducer>(getFlowProducerToken('reports'));
    const { job } = await flows.add({ name: 'root', queueName: name, data: {} });
    expect(job.queueQualifiedName).toBe(`${prefix}:${name}`);
    expect(await job.getState()).toBe('waiting');
    await booted.app.close();
    // the producer closed with the app, so it no longer takes flows
    await expect(flows.add({ name: 'late', queueName: name, data: {} })).rejects.toThrow();
  });

  it('refuses an empty name and a name listed twice, at module creation', () => {
    expect(() => QueueModule.registerFlowProducer({ name: '' })).toThrow(/flow producer name must be a non-empty string, got ""/);
    expect(() => QueueModule.registerFlowProducer({ name: 'a' }, { name: 'a' })).toThrow(/registerFlowProducer: "a" is listed twice/);
  });
});
