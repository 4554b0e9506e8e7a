// The sample app: an API that enqueues jobs and workers that run them, in one process or two.
//
//   npm run sample                     API + workers on PORT (3000), a few demo jobs on boot
//   npm run sample -- --role=api       API only: enqueues, runs no workers (or CONVEYOR_ROLE=api)
//   npm run sample -- --role=worker    workers only, no HTTP (HEALTH_PORT=N or --port=N: /health there)
//
//   curl -XPOST localhost:3000/jobs/email -H 'content-type: application/json' -d '{"to":"ada@example.com"}'
//   curl -XPOST localhost:3000/jobs/report -H 'content-type: application/json' -d '{"title":"Q3"}'
//   curl localhost:3000/jobs/emails/1      curl localhost:3000/health      curl localhost:3000/metrics
//
// Ctrl+C (SIGINT) or SIGTERM shuts down gracefully: workers stop fetching and finish their jobs.
import type { AddressInfo } from 'node:net';
import { Logger, type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { assertPortFree } from './port.js';
import { printableRedisUrl, readSettings } from './settings.js';

const logger = new Logger('Sample');
const settings = readSettings();
logger.log(
  `role "${settings.role}", Redis ${printableRedisUrl(settings.redisUrl)}, key prefix "${settings.queuePrefix}" ` +
    `(QUEUE_PREFIX), pid ${process.pid}`,
);

try {
  // before any worker can take a job (see port.ts)
  if (settings.port !== undefined) await assertPortFree(settings.port);
} catch (err) {
  logger.error((err as Error).message);
  process.exit(1);
}

const http = settings.port !== undefined;
const app = http ? await NestFactory.create(AppModule) : await NestFactory.createApplicationContext(AppModule);
stopOnSignals(app);

try {
  if (http) {
    const server = await (app as INestApplication).listen(settings.port!);
    const { port } = server.address() as AddressInfo;
    logger.log(
      `listening on http://localhost:${port}: POST /jobs/email, POST /jobs/report, GET /jobs/:queue/:id, GET /health, GET /metrics ` +
        '(Ctrl+C to stop)',
    );
  } else {
    await app.init();
    logger.log('workers only, no HTTP (HEALTH_PORT=N or --port=N serves /health there); Ctrl+C to stop');
  }
} catch (err) {
  logger.error(`could not start: ${(err as Error).message}; shutting down`);
  await app.close();
  process.exit(1);
}

/**
 * SIGINT and SIGTERM close the app once: workers stop fetching and finish their jobs (up to
 * SHUTDOWN_TIMEOUT_MS, then the rest go back to wait), then queues and connections close. A signal
 * that comes again meanwhile (Ctrl+C reaches every process of the terminal's group, and
 * `npm run sample` passes it on as well) only says so.
 */
function stopOnSignals(app: INestApplicationContext): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.log(`${signal} again: still shutting down`);
      return;
    }
    stopping = true;
    logger.log(`${signal}: shutting down; active jobs get up to ${settings.shutdownTimeoutMs} ms to finish`);
    app.close().then(
      () => {
        logger.log('queues, event listeners, Redis connections and HTTP server closed: stopped');
        process.exit(0);
      },
      (err: Error) => {
        logger.error(`shutdown failed: ${err.stack ?? err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
