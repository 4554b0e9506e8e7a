import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { WorkerRegistry } from 'nestjs-conveyor';

/**
 * One log line per step of a worker's shutdown, so whoever stops the app sees what it waits for:
 * the worker stops fetching (and how many jobs it still runs), then it has closed.
 */
@Injectable()
export class ShutdownReporter implements OnApplicationBootstrap {
  private readonly logger = new Logger('Shutdown');

  constructor(private readonly workers: WorkerRegistry) {}

  onApplicationBootstrap(): void {
    for (const { queueName } of this.workers.list()) {
      const worker = this.workers.get(queueName);
      worker.once('closing', () => {
        const active = worker.activeJobs.length;
        this.logger.log(`worker of "${queueName}" stops fetching; ${active} active job${active === 1 ? '' : 's'} to finish`);
      });
      worker.once('closed', () => this.logger.log(`worker of "${queueName}" closed`));
    }
  }
}
