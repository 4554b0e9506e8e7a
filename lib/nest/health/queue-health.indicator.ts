import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConveyorValidationError, type Queue } from '../../engine/index.js';
import { checkInteger, describeServer, show } from '../../engine/internal.js';
import type { ModuleConnection } from '../module-connection.js';
import { QueueCatalog } from '../queue.catalog.js';
import { DEFAULT_CONFIG_KEY } from '../queue.constants.js';
import { WorkerRegistry } from '../worker.registry.js';
import {
  NO_ANSWER,
  QUEUE_NOT_REGISTERED_HERE,
  REDIS_UNREACHABLE,
  TOO_MANY_FAILED,
  TOO_MANY_WAITING,
  WORKER_NOT_RUNNING,
} from './health.messages.js';
import type { QueueHealthCheckOptions, QueueHealthDetails, QueueThresholds } from './queue-health-options.interface.js';

/** @default for QueueHealthCheckOptions.timeoutMs */
const DEFAULT_TIMEOUT_MS = 1_000;

/**
 * A terminus health indicator on the module's own connection: Redis answers (with its latency),
 * every worker runs, and each queue stays within its thresholds. Anything else reports `down`
 * with the numbers and one sentence per problem.
 *
 * @example
 * check() { return this.health.check([() => this.queues.isHealthy('queues', { queues: { emails: { maxWaiting: 1000 } } })]); }
 */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly catalog: QueueCatalog,
    private readonly registry: WorkerRegistry,
  ) {}

  async isHealthy<const Key extends string = 'queues'>(key: Key = 'queues' as Key, options: QueueHealthCheckOptions = {}) {
    const indicator = this.health.check(key);
    const details = await this.inspect(options);
    return details.problems.length > 0 ? indicator.down(details) : indicator.up(details);
  }

  /** The same findings without terminus' wrapping. */
  async inspect(options: QueueHealthCheckOptions = {}): Promise<QueueHealthDetails> {
    const { configKey = DEFAULT_CONFIG_KEY, timeoutMs = DEFAULT_TIMEOUT_MS, checkWorkers = true, queues = {} } = options;
    checkInteger('timeoutMs', timeoutMs, 1);
    const connection = this.catalog.connection(configKey);
    const details: QueueHealthDetails = { redis: await ping(connection, timeoutMs), workers: {}, queues: {}, problems: [] };
    if (details.redis.message) details.problems.push(details.redis.message);

    // a queue may have several workers (processors option, BullModule): it is as healthy as its worst
    for (const entry of this.registry.all.filter((e) => e.configKey === configKey)) {
      const state = WorkerRegistry.stateOf(entry.worker);
      if (details.workers[entry.queueName] === undefined || details.workers[entry.queueName] === 'running')
        details.workers[entry.queueName] = state;
    }
    for (const [queueName, state] of Object.entries(details.workers)) {
      if (checkWorkers && state !== 'running') details.problems.push(WORKER_NOT_RUNNING(queueName, state));
    }

    for (const [name, thresholds] of Object.entries(queues)) {
      checkThresholds(name, thresholds);
      const queue = connection.findQueue(name);
      if (!queue) {
        const message = QUEUE_NOT_REGISTERED_HERE(name, configKey);
        details.queues[name] = { message };
        details.problems.push(message);
        continue;
      }
      // counts need Redis; without it the Redis problem says it all
      if (details.redis.status === 'down') continue;
      try {
        const { report, problems } = await measure(queue, thresholds, timeoutMs);
        details.queues[name] = report;
        details.problems.push(...problems);
      } catch (err) {
        const message = (err as Error).message;
        details.queues[name] = { message };
        details.problems.push(message);
      }
    }
    return details;
  }
}

async function ping(connection: ModuleConnection, timeoutMs: number): Promise<QueueHealthDetails['redis']> {
  const server = describeServer(connection.client);
  const started = performance.now();
  try {
    await withTimeout(connection.client.ping(), timeoutMs, `PING to Redis at ${server}`);
    return { status: 'up', server, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    return { status: 'down', server, message: REDIS_UNREACHABLE(server, (err as Error).message) };
  }
}

async function measure(queue: Queue, thresholds: QueueThresholds, timeoutMs: number) {
  const report: QueueHealthDetails['queues'][string] = {};
  const problems: string[] = [];
  if (thresholds.maxWaiting !== undefined) {
    const counts = await withTimeout(queue.getJobCounts('waiting', 'prioritized'), timeoutMs, `counting jobs of queue "${queue.name}"`);
    report.waiting = counts.waiting + counts.prioritized;
    if (report.waiting > thresholds.maxWaiting) problems.push(TOO_MANY_WAITING(queue.name, report.waiting, thresholds.maxWaiting));
  }
  if (thresholds.maxFailed !== undefined) {
    const { count, withinMinutes } = thresholds.maxFailed;
    const client = await queue.client;
    // the failed set is scored by finishedOn (ms), so a range count is the recent failures
    const since = Date.now() - withinMinutes * 60_000;
    report.failed = await withTimeout(
      client.zcount(queue.keys.failed, since, '+inf'),
      timeoutMs,
      `counting failed jobs of queue "${queue.name}"`,
    );
    report.withinMinutes = withinMinutes;
    if (report.failed > count) problems.push(TOO_MANY_FAILED(queue.name, report.failed, count, withinMinutes));
  }
  return { report, problems };
}

function checkThresholds(queue: string, thresholds: QueueThresholds): void {
  if (typeof thresholds !== 'object' || thresholds === null) {
    throw new ConveyorValidationError(`queues.${queue} must be { maxWaiting?, maxFailed? }, got ${show(thresholds)}`);
  }
  if (thresholds.maxWaiting !== undefined) checkInteger(`queues.${queue}.maxWaiting`, thresholds.maxWaiting, 0);
  if (thresholds.maxFailed !== undefined) {
    checkInteger(`queues.${queue}.maxFailed.count`, thresholds.maxFailed?.count, 0);
    checkInteger(`queues.${queue}.maxFailed.withinMinutes`, thresholds.maxFailed?.withinMinutes, 1);
  }
}

/** Rejects after `ms` with a sentence naming `what`; a late rejection of `promise` is swallowed. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  promise.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(NO_ANSWER(what, ms))), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
