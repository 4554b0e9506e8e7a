import { Module } from '@nestjs/common';
import { QueueModule } from 'nestjs-conveyor';
import { EMAILS, REPORTS } from './queues.js';

const registered = QueueModule.registerQueue({ name: EMAILS }, { name: REPORTS });

/** The sample's queues, registered once; modules that inject a queue import this. */
@Module({ imports: [registered], exports: [registered] })
export class QueuesModule {}
