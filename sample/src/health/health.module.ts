import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueHealthModule } from 'nestjs-conveyor/health';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule, QueueHealthModule],
  controllers: [HealthController],
})
export class HealthModule {}
