import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Queue, QueueEvents } from 'nestjs-conveyor';
import { AppModule } from '../../sample/src/app.module.js';
import { rawClient, uniqueName } from '../support/redis.js';
import { RecordingLogger, cleanQueues, redisOptions, streamEvents } from './support/nest.js';

const QUEUES = ['emails', 'reports'];

describe('the sample app', () => {
  const prefix = uniqueName('sample');
  const saved = { QUEUE_PREFIX: process.env.QUEUE_PREFIX, CONVEYOR_ROLE: process.env.CONVEYOR_ROLE };
  let app: INestApplication | undefined;
  const logger = new RecordingLogger();

  beforeAll(() => {
    // its own prefix keeps the fixed queue names of the sample apart from other runs
    process.env.QUEUE_PREFIX = prefix;
    process.env.CONVEYOR_ROLE = 'all';
  });
  afterAll(async () => {
    await app?.close();
    Object.assign(process.env, saved);
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
    await cleanQueues(QUEUES, prefix);
  });

  /** Adds through the API and waits, on the queue's events, until the job has finished. */
  async function runThroughApi(base: string, path: string, body: object): Promise<{ queue: string; id: string }> {
    const queueName = path === '/jobs/email' ? 'emails' : 'reports';
    const events = new QueueEvents(queueName, { connection: redisOptions(), prefix });
    const queue = new Queue(queueName, { connection: redisOptions(), prefix });
    try {
      await events.waitUntilReady();
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      const created = (await response.json()) as { queue: string; id: string };
      await (await queue.getJob(created.id))!.waitUntilFinished(events, 10_000);
      return created;
    } finally {
      await events.close();
      await queue.close();
    }
  }

  it('boots, serves its endpoints, runs its demo jobs and shuts down cleanly', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).setLogger(logger).compile();
    app = moduleRef.createNestApplication();
    await app.listen(0);
    const base = (await app.getUrl()).replace('[::1]', 'localhost');

    const email = await runThroughApi(base, '/jobs/email', { to: 'test@example.com', template: 'receipt' });
    const emailView = (await (await fetch(`${base}/jobs/emails/${email.id}`)).json()) as { result: unknown };
    expect(emailView).toMatchObject({
      id: email.id,
      queue: 'emails',
      name: 'receipt',
      state: 'completed',
      attempts: { made: 1, allowed: 3 },
      result: { to: 'test@example.com', subject: 'Your receipt' },
      timestamps: { created: expect.any(String), processed: expect.any(String), finished: expect.any(String) },
    });

    const report = await runThroughApi(base, '/jobs/report', { title: 'Q3', rows: 10 });
    const reportView = await (await fetch(`${base}/jobs/reports/${report.id}`)).json();
    expect(reportView).toMatchObject({ state: 'completed', progress: 100, result: { title: 'Q3', rows: 10, url: `/reports/${report.id}.csv` } });

    expect((await fetch(`${base}/jobs/emails/does-not-exist`)).status).toBe(404);
    expect((await fetch(`${base}/jobs/nope/1`)).status).toBe(404);
    const bad = await fetch(`${base}/jobs/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(400);

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      details: { queues: { status: 'up', workers: { emails: 'running', reports: 'running' }, problems: [] } },
    });

    // the demo jobs were enqueued on boot and their lifecycle printed
    const lines = logger.entries.map((e) => e.message);
    expect(lines.some((l) => l.startsWith('enqueued 5 demo jobs'))).toBe(true);
    expect(lines).toContain(`emails#${email.id} completed -> ${JSON.stringify(emailView.result)}`);
    expect(lines.filter((l) => /^reports#\d+ progress 100$/.test(l)).length).toBeGreaterThanOrEqual(1);

    await app.close();
    app = undefined;
    const client = rawClient();
    try {
      for (const name of QUEUES) {
        expect(await client.llen(`${prefix}:${name}:active`)).toBe(0);
        expect(await streamEvents(client, name, prefix)).not.toContain('stalled');
      }
    } finally {
      client.disconnect();
    }
  });
});
