import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectQueue, type Queue } from 'nestjs-conveyor';
import { EMAILS, REPORTS, type EmailJob, type ReportJob } from '../queues.js';
import { sampleConfig } from '../settings.js';

/** Enqueues a few jobs on boot (roles all and api, unless DEMO_JOBS=false), to watch them run. */
@Injectable()
export class DemoService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Demo');

  constructor(
    @Inject(sampleConfig.KEY) private readonly settings: ConfigType<typeof sampleConfig>,
    @InjectQueue(EMAILS) private readonly emails: Queue<EmailJob>,
    @InjectQueue(REPORTS) private readonly reports: Queue<ReportJob>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.demoJobs || this.settings.role === 'worker') return;
    const retries = { attempts: 3, backoff: { type: 'exponential', delay: 200 } };
    const jobs = [
      await this.emails.add('welcome', { to: 'ada@example.com' }, retries),
      await this.emails.add('receipt', { to: 'grace@example.com' }, retries),
      // fails three times, with backoff, then for good
      await this.emails.add('welcome', { to: 'bounce@example.com' }, retries),
      // no handler takes this name: fails at once, without retries
      await this.emails.add('newsletter', { to: 'edsger@example.com' }, retries),
      await this.reports.add('generate', { title: 'Monthly sales', rows: 120 }),
    ];
    this.logger.log(`enqueued ${jobs.length} demo jobs: ${jobs.map((j) => `${j.queueName}#${j.id} ${j.name}`).join(', ')}`);
  }
}
