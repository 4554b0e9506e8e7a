import type { WorkerOptions } from '../../engine/worker.js';

/** Worker options a `@Processor` takes; connection and prefix come from the queue's registration. */
export type ProcessorWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/** Names the queue a processor (or events listener) serves, and on which connection. */
export interface QueueReference {
  name: string;
  /** The `forRoot` connection; by default the one the queue was registered on. */
  configKey?: string;
}

/** What `@Processor` stores on the class. */
export interface ProcessorMetadata extends QueueReference {
  workerOptions: ProcessorWorkerOptions;
}
