// A request-scoped consumer as @nestjs/bullmq's documentation shows it: @Processor({ name, scope })
// with the job injected as JOB_REF, into the consumer and into a request-scoped dependency.
import { BullModule, InjectQueue, JOB_REF, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Module, Scope } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import { Recorder, appPrefix, redisConnection } from './support.js';

let instances = 0;

@Injectable({ scope: Scope.REQUEST })
export class ReceiptContext {
  constructor(@Inject(JOB_REF) readonly job: Job<{ order: number }>) {}
}

@Processor({ name: 'receipts', scope: Scope.REQUEST })
export class ReceiptsConsumer extends WorkerHost {
  private readonly instance = ++instances;

  constructor(
    @Inject(JOB_REF) private readonly jobRef: Job<{ order: number }>,
    private readonly context: ReceiptContext,
    private readonly recorder: Recorder,
  ) {
    super();
  }

  async process(job: Job<{ order: number }>): Promise<void> {
    const same = this.jobRef === job && this.context.job === job;
    this.recorder.record(`receipt ${job.data.order}: JOB_REF is the job: ${same}`);
  }

  get instanceNumber() {
    return this.instance;
  }
}

@Injectable()
export class ReceiptsService {
  constructor(@InjectQueue('receipts') private readonly receipts: Queue) {}

  async send(orders: number[]) {
    for (const order of orders) await this.receipts.add('receipt', { order });
  }

  instancesMade() {
    return instances;
  }
}

@Module({
  imports: [BullModule.forRoot({ connection: redisConnection(), prefix: appPrefix() }), BullModule.registerQueue({ name: 'receipts' })],
  providers: [ReceiptsConsumer, ReceiptContext, ReceiptsService, Recorder],
})
export class AppModule {}
