import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues.module.js';
import { JobsController } from './jobs.controller.js';

@Module({
  imports: [QueuesModule],
  controllers: [JobsController],
})
export class JobsModule {}
