import type { INestApplication } from '@nestjs/common';
import { Queue, QueueEvents } from 'nestjs-conveyor';
import { AppModule } from '../../sample/src/app.module.js';
import { rawClient, streamEventNames, uniqueName } from '../support/redis.js';
import { closedAfterAll } from '../support/scope.js';
import { NestScope, RecordingLogger, redisOptions } from './support/nest.js';

const QUEUES = ['emails', 'reports'];

describe('the sample app', () => {
  const prefix = uniqueName('sample');
  const saved = { QUEUE_PREFIX: process.env.QUEUE_PREFIX, CONVEYOR_ROLE: process.env.CONVEYOR_ROLE };
  let app: INestApplication;
  let base: string;
  const logger = new RecordingLogger();
  const lines = () => logger.entries.map((e) => e.message);
  // one app for the file; its queues' keys go after it
  const nest = closedAfterAll(new NestScope());
  for (const queue of QUEUES) nest.removeKeysOf(queue, prefix);

  beforeAll(async () => {
    // its own prefix keeps the fixed queue names of the sample apart from other runs
    process.env.QUEUE_PREFIX = prefix;
    process.env.CONVEYOR_ROLE = 'all';
    ({ app, base } = await nest.serve({ imports: [AppModule] }, { logger }));
  });
  afterAll(() => {
    Object.assign(process.env, saved);
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
  });

  /** Adds through the API and waits, on the queue's events, until the job has finished. */
  async function runThroughApi(path: string, body: object): Promise<{ queue: string; id: string }> {
    const queueName = path === '/jobs/email' ? 'emails' : 'reports';
    const events = new QueueEvents(queueName, { connection: redisOptions(), prefix });
    const queue = new Queue(queueName, { connection: redisOptions(), prefix });
    try {
      await events.waitUntilReady();
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(201);
      const created = (await response.json()) as { queue: string; id: string };
      await (await queue.getJob(created.id))!.waitUntilFinished(events, 10_000);
      return created;
    } finally {
      await events.close();
      await queue.close();
    }
  }

  it('serves its endpoints and runs the jobs they add', async () => {
    const email = await runThroughApi('/jobs/email', { to: 'test@example.com', template: 'receipt' });
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
    expect(lines()).toContain(`emails#${email.id} completed -> ${JSON.stringify(emailView.result)}`);

    const report = await runThroughApi('/jobs/report', { title: 'Q3', rows: 10 });
    const reportView = await (await fetch(`${base}/jobs/reports/${report.id}`)).json();
    expect(reportView).toMatchObject({
      state: 'completed',
      progress: 100,
      result: { title: 'Q3', rows: 10, url: `/reports/${report.id}.csv` },
    });
    expect(lines().filter((l) => /^reports#\d+ progress 100$/.test(l)).length).toBeGreaterThanOrEqual(1);

    const bad = await fetch(`${base}/jobs/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(400);
  });

  it('answers 404 for a job or queue it does not have, also for names every object inherits', async () => {
    expect((await fetch(`${base}/jobs/emails/does-not-exist`)).status).toBe(404);
    for (const name of ['nope', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const response = await fetch(`${base}/jobs/${name}/1`);
      expect({ name, status: response.status }).toEqual({ name, status: 404 });
      expect(((await response.json()) as { message: string }).message).toBe(`no queue "${name}" (queues: emails, reports)`);
    }
  });

  it('cuts long values in its log instead of printing them whole', async () => {
    const long = await runThroughApi('/jobs/report', { title: 'x'.repeat(90_000), rows: 5 });
    const jobLines = lines().filter((l) => l.startsWith(`reports#${long.id} `));
    const completed = jobLines.find((l) => l.startsWith(`reports#${long.id} completed -> `));
    expect(completed).toMatch(/\.\.\. \(\d+ more characters\)$/);
    expect(Math.max(...jobLines.map((l) => l.length))).toBeLessThan(400);
  });

  it('reports healthy and enqueued its demo jobs on boot', async () => {
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      details: { queues: { status: 'up', workers: { emails: 'running', reports: 'running' }, problems: [] } },
    });
    expect(lines().some((l) => l.startsWith('enqueued 5 demo jobs'))).toBe(true);
  });

  it('serves bull-board at /queues: its page, and its API with the counts Redis holds', async () => {
    const page = await fetch(`${base}/queues`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('Conveyor sample');
    expect(lines()).toContain('bull-board serves the queues emails and reports at /queues');

    const answer = await fetch(`${base}/queues/api/queues`);
    expect(answer.status).toBe(200);
    const { queues } = (await answer.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(queues.map((q) => q.name).sort()).toEqual(QUEUES);
    // the report queue is quiet by now: its counts cannot move between the two reads
    const reports = new Queue('reports', { connection: redisOptions(), prefix });
    try {
      const shown = queues.find((q) => q.name === 'reports')!.counts;
      expect(shown.completed).toBeGreaterThan(0);
      expect(shown).toMatchObject(await reports.getJobCounts('completed', 'failed', 'delayed'));
    } finally {
      await reports.close();
    }
  });

  it('shuts down cleanly, one line per worker, leaving nothing active', async () => {
    await app.close();
    for (const name of QUEUES) expect(lines()).toContain(`worker of "${name}" closed`);
    const client = rawClient();
    try {
      for (const name of QUEUES) {
        expect(await client.llen(`${prefix}:${name}:active`)).toBe(0);
        expect(await streamEventNames(client, name, prefix)).not.toContain('stalled');
      }
    } finally {
      client.disconnect();
    }
  });
});

describe("the sample's worker role with HEALTH_PORT", () => {
  const prefix = uniqueName('sample-worker');
  const saved = { QUEUE_PREFIX: process.env.QUEUE_PREFIX, CONVEYOR_ROLE: process.env.CONVEYOR_ROLE };
  const nest = closedAfterAll(new NestScope());
  for (const queue of QUEUES) nest.removeKeysOf(queue, prefix);

  afterAll(() => {
    Object.assign(process.env, saved);
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
  });

  it('serves /health there and no board', async () => {
    process.env.QUEUE_PREFIX = prefix;
    process.env.CONVEYOR_ROLE = 'worker';
    // what main.ts makes of a worker with HEALTH_PORT: an HTTP app of the same module
    const { base } = await nest.serve({ imports: [AppModule] });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/queues`)).status).toBe(404);
    expect((await fetch(`${base}/queues/api/queues`)).status).toBe(404);
  });
});
