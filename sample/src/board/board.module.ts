import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectQueue, type Queue } from 'nestjs-conveyor';
import { EMAILS, REPORTS } from '../queues.js';
import { QueuesModule } from '../queues.module.js';
import { sampleConfig } from '../settings.js';
import { BOARD_PATH, boardRouter } from './board.js';

/**
 * bull-board at /queues for the roles that serve the API (all, api). A worker-only process serves
 * none, also when HEALTH_PORT gives it an HTTP server for /health.
 *
 * Mounted in onModuleInit: Nest calls it after it has registered the controllers' routes and
 * before its own 404 handler, so the board's paths are reached. No guard: the sample runs on a
 * developer's machine; an app that serves a board elsewhere puts its authentication in front.
 */
@Module({ imports: [QueuesModule] })
export class BoardModule implements OnModuleInit {
  private readonly logger = new Logger('Board');

  constructor(
    @Inject(sampleConfig.KEY) private readonly settings: ConfigType<typeof sampleConfig>,
    private readonly adapterHost: HttpAdapterHost,
    @InjectQueue(EMAILS) private readonly emails: Queue,
    @InjectQueue(REPORTS) private readonly reports: Queue,
  ) {}

  onModuleInit(): void {
    // an application context (role worker without HEALTH_PORT) has no HTTP adapter at all
    const http = this.adapterHost.httpAdapter;
    if (!http || this.settings.role === 'worker') return;
    http.use(BOARD_PATH, boardRouter(BOARD_PATH, [this.emails, this.reports]));
    this.logger.log(`bull-board serves the queues ${EMAILS} and ${REPORTS} at ${BOARD_PATH}`);
  }
}
