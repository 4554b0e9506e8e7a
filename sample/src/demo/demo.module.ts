import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues.module.js';
import { DemoService } from './demo.service.js';

@Module({ imports: [QueuesModule], providers: [DemoService] })
export class DemoModule {}
