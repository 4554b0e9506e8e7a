import { BullMQAdapter as BullBoardBullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { Queue, Worker } from 'nestjs-conveyor';
import { ConveyorAdapter } from 'nestjs-conveyor/bull-board';
import { connection } from '../../support/redis.js';

/**
 * What the parity and bad-input tests need of one engine: its queue, a worker on it and the board
 * adapter for it, with the same calls for bullmq (through bull-board's own BullMQAdapter) and for
 * Conveyor (through ConveyorAdapter).
 */
export interface Engine {
  label: 'bullmq' | 'conveyor';
  queue(name: string, opts?: Record<string, unknown>): AnyQueue;
  worker(name: string, processor: (job: any) => Promise<unknown>, opts?: Record<string, unknown>): AnyWorker;
  adapter(queue: AnyQueue): BaseAdapter;
}

/** The members of a Queue both engines have that the tests call. */
export interface AnyQueue {
  name: string;
  add(name: string, data: unknown, opts?: Record<string, unknown>): Promise<{ id?: string }>;
  getJobCounts(): Promise<Record<string, number>>;
  getJobState(id: string): Promise<string>;
  getJob(id: string): Promise<any>;
  upsertJobScheduler(id: string, repeat: Record<string, unknown>, template?: Record<string, unknown>): Promise<unknown>;
  getJobScheduler(id: string): Promise<any>;
  getGlobalConcurrency(): Promise<number | null>;
  getGlobalRateLimit?(): Promise<unknown>;
  isPaused(): Promise<boolean>;
  rateLimit(ms: number): Promise<void>;
  obliterate(opts?: { force?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface AnyWorker {
  on(event: string, listener: (...args: any[]) => void): unknown;
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

// bullmq wants maxRetriesPerRequest null on the connections of its Worker
const bullConnection = () => ({ ...connection(), maxRetriesPerRequest: null });

export const BULLMQ: Engine = {
  label: 'bullmq',
  queue: (name, opts = {}) => new BullQueue(name, { connection: bullConnection(), ...opts }) as unknown as AnyQueue,
  worker: (name, processor, opts = {}) =>
    new BullWorker(name, processor, { connection: bullConnection(), ...opts }) as unknown as AnyWorker,
  adapter: (queue) => new BullBoardBullMQAdapter(queue as unknown as BullQueue),
};

export const CONVEYOR: Engine = {
  label: 'conveyor',
  queue: (name, opts = {}) => new Queue(name, { connection: connection(), ...opts }) as unknown as AnyQueue,
  worker: (name, processor, opts = {}) => new Worker(name, processor, { connection: connection(), ...opts }) as unknown as AnyWorker,
  adapter: (queue) => new ConveyorAdapter(queue as unknown as Queue),
};
