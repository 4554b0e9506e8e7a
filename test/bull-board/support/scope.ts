import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import type { BoardOptions } from '@bull-board/api/dist/types.js';
import { Queue, Worker, type Job, type QueueOptions, type WorkerOptions } from 'nestjs-conveyor';
import { ConveyorAdapter, type ConveyorAdapterOptions } from 'nestjs-conveyor/bull-board';
import { times } from '../../support/events.js';
import { connection, REDIS_URL } from '../../support/redis.js';
import { BaseScope } from '../../support/scope.js';
import { BoardApi, expressBoard, type ExpressBoard } from './board.js';
import { ChildApp } from './child-app.js';

const BUILT = fileURLToPath(new URL('../../../dist/bull-board/index.js', import.meta.url));

/**
 * The shared scope with queues and workers of the package as users import it ('nestjs-conveyor'),
 * and boards on HTTP servers of their own, all closed with it.
 */
export class BoardScope extends BaseScope {
  constructor() {
    super('board');
  }

  queue(name = this.name(), opts: QueueOptions = {}): Queue {
    this.removeKeysOf(name, opts.prefix ?? 'bull');
    return this.track(new Queue(name, { connection: connection(), ...opts }));
  }

  worker(queue: Queue, processor: (job: Job) => Promise<unknown>, opts: Partial<WorkerOptions> = {}): Worker {
    return this.track(new Worker(queue.name, processor, { connection: connection(), prefix: queue.prefix, ...opts }));
  }

  async board(adapters: BaseAdapter[], options?: BoardOptions): Promise<ExpressBoard> {
    return this.track(await expressBoard(adapters, options));
  }

  /**
   * A board app (`file`, importing the built package) in a child process of its own, closed with
   * the scope; `api` is its REST API under `basePath`.
   */
  async childBoard(file: string, env: Record<string, string>, basePath: string): Promise<{ app: ChildApp; api: BoardApi }> {
    if (!existsSync(BUILT)) throw new Error('dist/ is missing: `npm run build` (npm test does it first)');
    const app = this.track(new ChildApp(file, { REDIS_URL, ...env }));
    return { app, api: new BoardApi(`${await app.url}${basePath}`) };
  }

  /** A board showing `queues` through ConveyorAdapter. */
  async conveyorBoard(queues: Queue[], adapterOptions?: ConveyorAdapterOptions, options?: BoardOptions): Promise<ExpressBoard> {
    return this.board(
      queues.map((q) => new ConveyorAdapter(q, adapterOptions)),
      options,
    );
  }
}

/** The jobs `fillQueue` leaves in each state. */
export interface FilledQueue {
  completed: string;
  failed: string;
  waiting: string[];
  delayed: string;
  prioritized: string;
}

/**
 * `completed` jobs named 'ok' (return value, progress, log lines) and `failed` ones named 'bad'
 * (reason, stack trace), run by a worker that is closed again; resolves with their ids. Call it
 * before adding jobs meant to stay waiting: its worker would take those too.
 */
export async function finishJobs(
  scope: BoardScope,
  queue: Queue,
  counts: { completed: number; failed: number },
): Promise<{ completed: string[]; failed: string[] }> {
  const completed: string[] = [];
  const failed: string[] = [];
  for (let i = 0; i < counts.completed; i++) completed.push((await queue.add('ok', { a: 1, b: 2 })).id!);
  for (let i = 0; i < counts.failed; i++) failed.push((await queue.add('bad', { x: 'y' }, { attempts: 1 })).id!);
  const worker = scope.worker(queue, async (job) => {
    if (job.name === 'bad') throw new Error('planned failure');
    await job.log('first line');
    await job.log('second line');
    await job.updateProgress({ step: 2, of: 2 });
    return { sum: job.data.a + job.data.b };
  });
  await Promise.all([
    counts.completed && times(worker, 'completed', counts.completed),
    counts.failed && times(worker, 'failed', counts.failed),
  ]);
  await worker.close();
  return { completed, failed };
}

/**
 * One job completed and one failed (see finishJobs), then two waiting, one delayed by an hour and
 * one prioritized, with no worker left running.
 */
export async function fillQueue(scope: BoardScope, queue: Queue): Promise<FilledQueue> {
  const finished = await finishJobs(scope, queue, { completed: 1, failed: 1 });
  const waiting = [(await queue.add('w1', { n: 1 })).id!, (await queue.add('w2', { n: 2 })).id!];
  const delayed = await queue.add('later', { n: 3 }, { delay: 3_600_000 });
  const prioritized = await queue.add('urgent', { n: 4 }, { priority: 5 });
  return { completed: finished.completed[0], failed: finished.failed[0], waiting, delayed: delayed.id!, prioritized: prioritized.id! };
}
