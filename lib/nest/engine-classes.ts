import { FlowProducer } from '../engine/flow-producer.js';
import { Queue } from '../engine/queue.js';
import { Worker } from '../engine/worker/worker.js';

/**
 * The classes the module makes its queues, workers and flow producers from. `BullModule.queueClass`
 * (and the two others) replace them, with subclasses of the engine's, for the whole app.
 */
export const engineClasses: {
  queue: new (...args: ConstructorParameters<typeof Queue>) => Queue;
  worker: new (...args: ConstructorParameters<typeof Worker>) => Worker;
  flowProducer: new (...args: ConstructorParameters<typeof FlowProducer>) => FlowProducer;
} = { queue: Queue, worker: Worker, flowProducer: FlowProducer };
