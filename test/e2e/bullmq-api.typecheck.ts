// Compiled by `npm run typecheck` (it holds no tests): @nestjs/bullmq 12's public names, imported
// from 'nestjs-conveyor' and used as @nestjs/bullmq's documentation and declarations use them. A
// name missing, or an option shape that no longer fits, fails the type check.
import type * as NestBullmq from '@nestjs/bullmq';
import { Inject, Injectable, Module, Scope, type OnModuleInit } from '@nestjs/common';
import type * as Conveyor from 'nestjs-conveyor';
import {
  BULL_CONFIG_DEFAULT_TOKEN,
  BullModule,
  BullRegistrar,
  FlowProducer,
  InjectFlowProducer,
  InjectQueue,
  JOB_REF,
  Job,
  OnQueueEvent,
  OnWorkerEvent,
  Processor,
  ProcessorDecoratorService,
  Queue,
  QueueEvents,
  QueueEventsHost,
  QueueEventsListener,
  Worker,
  WorkerHost,
  getFlowProducerOptionsToken,
  getFlowProducerToken,
  getQueueOptionsToken,
  getQueueToken,
  getSharedConfigToken,
  type BullModuleExtraOptions,
  type BullQueueAdvancedProcessor,
  type BullQueueAdvancedSeparateProcessor,
  type BullQueueProcessor,
  type BullQueueProcessorCallback,
  type BullQueueSeparateProcessor,
  type BullRootModuleOptions,
  type OnQueueEventMetadata,
  type OnWorkerEventMetadata,
  type ProcessorOptions,
  type QueueEventsListenerOptions,
  type RegisterFlowProducerAsyncOptions,
  type RegisterFlowProducerOptions,
  type RegisterFlowProducerOptionsFactory,
  type RegisterQueueAsyncOptions,
  type RegisterQueueOptions,
  type RegisterQueueOptionsFactory,
  type SharedBullAsyncConfiguration,
  type SharedBullConfigurationFactory,
} from 'nestjs-conveyor';

// Every value @nestjs/bullmq exports, nestjs-conveyor exports too (names only: types follow below).
type MissingValues = Exclude<keyof typeof NestBullmq, keyof typeof Conveyor>;
export const noValueMissing: [MissingValues] extends [never] ? true : MissingValues = true;

// The helpers and decorators take what @nestjs/bullmq's take (QueueEventsListener aside: its options
// name bullmq's own connection types, which are bullmq's, not ours).
export const helpers: {
  getQueueToken: typeof NestBullmq.getQueueToken;
  getQueueOptionsToken: typeof NestBullmq.getQueueOptionsToken;
  getFlowProducerToken: typeof NestBullmq.getFlowProducerToken;
  getFlowProducerOptionsToken: typeof NestBullmq.getFlowProducerOptionsToken;
  getSharedConfigToken: typeof NestBullmq.getSharedConfigToken;
  InjectQueue: typeof NestBullmq.InjectQueue;
  InjectFlowProducer: typeof NestBullmq.InjectFlowProducer;
  Processor: typeof NestBullmq.Processor;
} = {
  getQueueToken,
  getQueueOptionsToken,
  getFlowProducerToken,
  getFlowProducerOptionsToken,
  getSharedConfigToken,
  InjectQueue,
  InjectFlowProducer,
  Processor,
};
export const tokens: string[] = [
  BULL_CONFIG_DEFAULT_TOKEN,
  getQueueToken(),
  getFlowProducerToken(),
  getQueueOptionsToken(),
  getFlowProducerOptionsToken(),
  getSharedConfigToken(),
];

// forRoot / forRootAsync in their four forms, with extraOptions and extraProviders.
const extraOptions: BullModuleExtraOptions = { manualRegistration: true };
const root: BullRootModuleOptions = {
  connection: { host: 'localhost', port: 6379 },
  prefix: 'app',
  defaultJobOptions: { attempts: 3 },
  extraOptions,
};

@Injectable()
class BullConfigService implements SharedBullConfigurationFactory {
  createSharedConfiguration(): BullRootModuleOptions {
    return root;
  }
}

@Injectable()
class SecretStore {
  password = 'secret';
}

const asyncRoot: SharedBullAsyncConfiguration = {
  useFactory: async (secrets: SecretStore) => ({ connection: { host: 'localhost', port: 6379, password: secrets.password } }),
  inject: [SecretStore],
  extraProviders: [SecretStore],
  extraOptions: { manualRegistration: false },
};

// registerQueue(Async) with processors and the queue factory class; flow producers likewise.
const callback: BullQueueProcessorCallback = async (job: Job) => job.data;
const file: BullQueueSeparateProcessor = '/srv/processors/resize.js';
const advanced: BullQueueAdvancedProcessor = { callback, concurrency: 2 };
const advancedFile: BullQueueAdvancedSeparateProcessor = {
  path: new URL('file:///srv/processors/resize.js'),
  useWorkerThreads: true,
  concurrency: 3,
};
const processors: BullQueueProcessor[] = [callback, file, advanced, advancedFile];
const audio: RegisterQueueOptions = {
  name: 'audio',
  configKey: 'alternative-config',
  processors,
  forceDisconnectOnShutdown: true,
  connection: { port: 6380 },
};

@Injectable()
class AudioQueueConfig implements RegisterQueueOptionsFactory {
  createRegisterQueueOptions(): RegisterQueueOptions {
    return { defaultJobOptions: { removeOnComplete: true } };
  }
}

@Injectable()
class FlowConfig implements RegisterFlowProducerOptionsFactory {
  createRegisterQueueOptions(): RegisterFlowProducerOptions {
    return { prefix: 'flows' };
  }
}

const video: RegisterQueueAsyncOptions = { name: 'video', useClass: AudioQueueConfig, extraProviders: [SecretStore] };
const flows: RegisterFlowProducerOptions = { name: 'flowProducerName', configKey: 'alternative-config', forceDisconnectOnShutdown: false };
const asyncFlows: RegisterFlowProducerAsyncOptions = { name: 'asyncFlows', useExisting: FlowConfig };

// Processors: the four @Processor forms, WorkerHost with its worker, @OnWorkerEvent, JOB_REF.
@Processor('audio')
class AudioConsumer extends WorkerHost {
  async process(job: Job<any, any, string>): Promise<any> {
    await job.updateProgress(50);
    return this.worker.concurrency;
  }

  @OnWorkerEvent('completed')
  onCompleted(job: Job) {
    return job.id;
  }
}

@Processor('video', { concurrency: 3, limiter: { max: 10, duration: 1000 } })
class VideoConsumer extends WorkerHost<Worker> {
  async process(): Promise<void> {}
}

const processorOptions: ProcessorOptions = { name: 'receipts', scope: Scope.REQUEST, configKey: 'alternative-config' };

@Processor(processorOptions)
class ReceiptsConsumer extends WorkerHost {
  constructor(@Inject(JOB_REF) readonly jobRef: Job) {
    super();
  }

  async process(job: Job): Promise<boolean> {
    return job === this.jobRef;
  }
}

@Processor({ name: 'thumbnails' }, { concurrency: 2, sharedConnection: false })
class ThumbnailConsumer extends WorkerHost {
  async process(): Promise<void> {}
}

// Queue events: QueueEventsHost, @QueueEventsListener with options, @OnQueueEvent.
@QueueEventsListener('audio', { blockingTimeout: 5000 })
class AudioEventsListener extends QueueEventsHost<QueueEvents> {
  @OnQueueEvent('active')
  onActive(job: { jobId: string; prev?: string }) {
    return job.jobId;
  }

  async wait(job: Job) {
    return job.waitUntilFinished(this.queueEvents);
  }
}

// Producers, manual registration, and the processor decorator hook.
@Injectable()
class AudioService implements OnModuleInit {
  constructor(
    @InjectQueue('audio') private readonly audioQueue: Queue,
    @InjectQueue() readonly defaultQueue: Queue,
    @InjectFlowProducer('flowProducerName') private readonly flowProducer: FlowProducer,
    private readonly bullRegistrar: BullRegistrar,
  ) {}

  onModuleInit() {
    this.bullRegistrar.register();
  }

  add() {
    return Promise.all([
      this.audioQueue.add('transcode', { foo: 'bar' }, { delay: 3000 }),
      this.flowProducer.add({ name: 'root', queueName: 'audio', children: [{ name: 'child', queueName: 'video' }] }),
    ]);
  }
}

class TracingDecorator extends ProcessorDecoratorService {
  override decorate(processor: Conveyor.Processor<unknown, unknown>) {
    return (job: Job, token?: string) => processor(job, token);
  }
}

BullModule.queueClass = Queue;
BullModule.workerClass = Worker;
BullModule.flowProducerClass = FlowProducer;

export const metadata: [OnQueueEventMetadata, OnWorkerEventMetadata, QueueEventsListenerOptions] = [
  { eventName: 'completed' },
  { eventName: 'failed' },
  { queueName: 'audio', queueEventsOptions: { lastEventId: '0' } },
];

@Module({
  imports: [
    BullModule.forRoot(root),
    BullModule.forRoot('alternative-config', { connection: { port: 6381 } }),
    BullModule.forRootAsync({ useClass: BullConfigService }),
    BullModule.forRootAsync('async-config', asyncRoot),
    BullModule.registerQueue(audio, { name: 'video' }),
    BullModule.registerQueueAsync(video, { name: 'mail', useFactory: () => ({ prefix: 'mail' }) }),
    BullModule.registerFlowProducer(flows),
    BullModule.registerFlowProducerAsync(asyncFlows),
  ],
  providers: [
    AudioConsumer,
    VideoConsumer,
    ReceiptsConsumer,
    ThumbnailConsumer,
    AudioEventsListener,
    AudioService,
    { provide: ProcessorDecoratorService, useClass: TracingDecorator },
  ],
})
export class TypecheckedAppModule {}
