// The sample app: an API that enqueues jobs and workers that run them, in one process or two.
//
//   npm run sample                     API + workers (PORT, default 3000), a few demo jobs on boot
//   npm run sample -- --role=api       API only: enqueues, runs no workers (or CONVEYOR_ROLE=api)
//   npm run sample -- --role=worker    workers only (its /health on PORT; set another PORT than the API's)
//
//   curl -XPOST localhost:3000/jobs/email -H 'content-type: application/json' -d '{"to":"ada@example.com"}'
//   curl -XPOST localhost:3000/jobs/report -H 'content-type: application/json' -d '{"title":"Q3"}'
//   curl localhost:3000/jobs/emails/1      curl localhost:3000/health
//
// Ctrl+C (SIGINT) or SIGTERM shuts down gracefully: workers stop fetching and finish their jobs.
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { readSettings } from './settings.js';

const settings = readSettings();
const app = await NestFactory.create(AppModule);
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
await app.listen(settings.port);
new Logger('Sample').log(
  `role "${settings.role}" listening on http://localhost:${settings.port}: ` +
    'POST /jobs/email, POST /jobs/report, GET /jobs/:queue/:id, GET /health (Ctrl+C to stop)',
);
