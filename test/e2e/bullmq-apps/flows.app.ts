// Flows as @nestjs/bullmq users write them: registerFlowProducer, @InjectFlowProducer, and
// processors for the parent and the children queues.
import { BullModule, InjectFlowProducer, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Module } from '@nestjs/common';
import { FlowProducer, Job } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

@Processor('checkout-steps')
export class StepsConsumer extends WorkerHost {
  async process(job: Job<{ amount: number }>): Promise<number> {
    return job.name === 'charge' ? job.data.amount : -job.data.amount;
  }
}

@Processor('checkout')
export class CheckoutConsumer extends WorkerHost {
  constructor(private readonly recorder: Recorder) {
    super();
  }

  async process(job: Job<{ order: string }>): Promise<string> {
    const values = Object.values(await job.getChildrenValues<number>()).sort((a, b) => a - b);
    this.recorder.record(`${job.name} ${job.data.order} after children ${JSON.stringify(values)}`);
    return 'shipped';
  }
}

@Injectable()
export class CheckoutService {
  constructor(@InjectFlowProducer('checkout-flows') private readonly flows: FlowProducer) {}

  async place(order: string) {
    const tree = await this.flows.add({
      name: 'ship',
      queueName: 'checkout',
      data: { order },
      children: [
        { name: 'charge', queueName: 'checkout-steps', data: { amount: 30 } },
        { name: 'refund-voucher', queueName: 'checkout-steps', data: { amount: 5 } },
      ],
    });
    return tree.children?.length;
  }
}

@Module({
  imports: [
    BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }),
    BullModule.registerQueue({ name: 'checkout' }, { name: 'checkout-steps' }),
    BullModule.registerFlowProducer({ name: 'checkout-flows' }),
  ],
  providers: [StepsConsumer, CheckoutConsumer, CheckoutService, Recorder],
})
export class AppModule {}
