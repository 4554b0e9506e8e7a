import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues.module.js';
import { EmailProcessor } from './email.processor.js';
import { Mailer } from './mailer.service.js';
import { ReportProcessor } from './report.processor.js';

/**
 * The processors. In every role they are providers (so the wiring is checked at boot); workers
 * run them only where forRoot has `workers: true` (roles all and worker).
 */
@Module({
  imports: [QueuesModule],
  providers: [Mailer, EmailProcessor, ReportProcessor],
})
export class WorkersModule {}
