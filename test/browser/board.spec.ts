import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Browser, Page } from 'playwright-core';
import { Queue, QueueEvents, Worker, type Job } from 'nestjs-conveyor';
import { AppModule } from '../../sample/src/app.module.js';
import { RecordingLogger, redisOptions } from '../e2e/support/nest.js';
import { once } from '../support/events.js';
import { rawClient, removeQueueKeys, uniqueName } from '../support/redis.js';
import { BOARD_STATUSES, cardTotal, clickJobAction, jobCard, jobLink, waitForTabCounts, type Counts } from './board-page.js';
import { launchChromium } from './chromium.js';

// The sample's API role serves bull-board; headless Chromium reads and acts on the queues there.
// `UPDATE_SCREENSHOT=1` writes the overview to docs/images/board.png.
const QUEUES = ['emails', 'reports'] as const;
type QueueName = (typeof QUEUES)[number];
const SCREENSHOT = fileURLToPath(new URL('../../docs/images/board.png', import.meta.url));
const WAIT_MS = 10_000;

describe("bull-board on the sample's queues, in Chromium", () => {
  const prefix = uniqueName('board');
  const saved = { QUEUE_PREFIX: process.env.QUEUE_PREFIX, CONVEYOR_ROLE: process.env.CONVEYOR_ROLE, DEMO_JOBS: process.env.DEMO_JOBS };
  let app: INestApplication | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;
  const queues = {} as Record<QueueName, Queue>;
  const events = {} as Record<QueueName, QueueEvents>;
  /** Workers the test runs; the first test closes its own before it reads the page. */
  let workers: Worker[] = [];
  /** Addresses whose email fails the first time it is sent, and only then. */
  const failOnce = new Set<string>();

  beforeAll(async () => {
    // the API role runs no workers: the test's own stand in for the worker process, so that the
    // counts hold still while the page is read and the test decides which job fails
    browser = await launchChromium();
    Object.assign(process.env, { QUEUE_PREFIX: prefix, CONVEYOR_ROLE: 'api', DEMO_JOBS: 'false' });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger(new RecordingLogger())
      .compile();
    app = moduleRef.createNestApplication();
    await app.listen(0);
    base = (await app.getUrl()).replace('[::1]', 'localhost');
    for (const name of QUEUES) {
      queues[name] = new Queue(name, { connection: redisOptions(), prefix });
      events[name] = new QueueEvents(name, { connection: redisOptions(), prefix });
      await events[name].waitUntilReady();
    }
    page = await browser.newPage({ viewport: { width: 1440, height: 800 } });
    page.setDefaultTimeout(WAIT_MS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopWorkers();
    for (const name of QUEUES) {
      await events[name]?.close();
      await queues[name]?.close();
    }
    await app?.close();
    Object.assign(process.env, saved);
    for (const [key, value] of Object.entries(saved)) if (value === undefined) delete process.env[key];
    const client = rawClient();
    try {
      for (const name of QUEUES) await removeQueueKeys(client, name, prefix);
    } finally {
      client.disconnect();
    }
  });

  /** What the sample's worker process does, told apart by address: "bounce" always fails. */
  function startWorkers(): void {
    if (workers.length > 0) return;
    workers = [
      new Worker(
        'emails',
        async (job: Job<{ to: string }>) => {
          if (failOnce.delete(job.data.to)) throw new Error(`mail gateway busy, ${job.data.to} not sent`);
          if (job.data.to.includes('bounce')) throw new Error(`mailbox ${job.data.to} does not exist`);
          return { to: job.data.to };
        },
        { connection: redisOptions(), prefix },
      ),
      new Worker('reports', async (job: Job<{ title: string }>) => ({ title: job.data.title }), { connection: redisOptions(), prefix }),
    ];
  }

  async function stopWorkers(): Promise<void> {
    await Promise.all(workers.splice(0).map((worker) => worker.close()));
  }

  async function post(route: string, body: object): Promise<Job> {
    const response = await fetch(`${base}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    const { queue, id } = (await response.json()) as { queue: QueueName; id: string };
    return (await queues[queue].getJob(id))!;
  }

  async function counts(name: QueueName): Promise<Counts> {
    return (await queues[name].getJobCounts(...BOARD_STATUSES)) as Counts;
  }

  it('shows the counts Redis holds, on its overview and on each queue', async () => {
    // jobs through the sample's API, run to the end, then a waiting and a delayed one
    startWorkers();
    const finished = [
      await post('/jobs/email', { to: 'ada@example.com' }),
      await post('/jobs/email', { to: 'grace@example.com', template: 'receipt' }),
      await post('/jobs/report', { title: 'Monthly sales' }),
      await post('/jobs/report', { title: 'Q3' }),
    ];
    const bounced = await post('/jobs/email', { to: 'bounce@example.com' });
    for (const job of finished) await job.waitUntilFinished(events[job.queueName as QueueName], WAIT_MS);
    await expect(bounced.waitUntilFinished(events.emails, WAIT_MS)).rejects.toThrow('does not exist');
    await stopWorkers();
    await post('/jobs/report', { title: 'Q4 forecast' });
    await queues.emails.add('receipt', { to: 'barbara@example.com' }, { delay: 3_600_000 });

    const expected = { emails: await counts('emails'), reports: await counts('reports') };
    expect(expected).toMatchObject({
      emails: { completed: 2, failed: 1, delayed: 1, waiting: 0, active: 0 },
      reports: { completed: 2, waiting: 1, active: 0 },
    });

    await page.goto(`${base}/queues`);
    const sums = Object.fromEntries(BOARD_STATUSES.map((s) => [s, expected.emails[s] + expected.reports[s]])) as Counts;
    expect(await waitForTabCounts(page, sums)).toEqual(sums);
    for (const name of QUEUES) {
      expect({ name, total: await cardTotal(page, name) }).toEqual({ name, total: sum(expected[name]) });
    }

    for (const name of QUEUES) {
      await page.getByRole('complementary').getByRole('link', { name, exact: true }).click();
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      // a queue's page has no paused tab while the queue runs
      const { paused, ...perStatus } = expected[name];
      expect(paused).toBe(0);
      expect(await waitForTabCounts(page, perStatus)).toEqual(perStatus);
    }
  });

  it('retries a failed job on a click, and shows it completed', async () => {
    startWorkers();
    failOnce.add('linus@example.com');
    const job = await queues.emails.add('welcome', { to: 'linus@example.com' }, { attempts: 1 });
    await expect(job.waitUntilFinished(events.emails, WAIT_MS)).rejects.toThrow('mail gateway busy');

    await page.goto(`${base}/queues/queue/emails?status=failed`);
    const card = jobCard(page, job);
    await card.waitFor();
    const completed = once<[{ jobId: string }]>(events.emails, 'completed', WAIT_MS, ({ jobId }) => jobId === job.id);
    completed.catch(() => undefined); // awaited below; a failed click must not leave it unhandled
    await clickJobAction(page, card, 'Retry', 'Are you sure that you want to retry this job?');
    await completed;
    expect(await queues.emails.getJobState(job.id!)).toBe('completed');

    // the page follows: gone from the failed jobs, there among the completed ones
    await jobLink(page, job).waitFor({ state: 'detached' });
    await page
      .getByRole('main')
      .getByRole('link', { name: /^COMPLETED\b/ })
      .click();
    await jobLink(page, job).waitFor();
  });

  it('promotes a delayed job on a click, and shows it processed', async () => {
    startWorkers();
    const job = await queues.emails.add('receipt', { to: 'margaret@example.com' }, { delay: 3_600_000 });

    await page.goto(`${base}/queues/queue/emails?status=delayed`);
    const card = jobCard(page, job);
    await card.waitFor();
    const completed = once<[{ jobId: string; returnvalue: unknown }]>(events.emails, 'completed', WAIT_MS, ({ jobId }) => jobId === job.id);
    completed.catch(() => undefined); // awaited below; a failed click must not leave it unhandled
    await clickJobAction(page, card, 'Promote', 'Are you sure that you want to promote this job?');
    const [{ returnvalue }] = await completed;
    expect(returnvalue).toEqual({ to: 'margaret@example.com' });

    await jobLink(page, job).waitFor({ state: 'detached' });
    await page
      .getByRole('main')
      .getByRole('link', { name: /^COMPLETED\b/ })
      .click();
    await jobLink(page, job).waitFor();
  });

  it('shows the queues with their workers (the picture in docs/images/board.png)', async () => {
    startWorkers();
    const expected = { emails: await counts('emails'), reports: await counts('reports') };
    // what the tests before left: nothing waits, the workers idle, the counts hold still
    expect(expected).toMatchObject({ emails: { completed: 4, failed: 1, delayed: 1, waiting: 0 }, reports: { completed: 3, waiting: 0 } });
    await page.goto(`${base}/queues`);
    const sums = Object.fromEntries(BOARD_STATUSES.map((s) => [s, expected.emails[s] + expected.reports[s]])) as Counts;
    expect(await waitForTabCounts(page, sums)).toEqual(sums);
    await page.getByRole('main').getByText('No workers').first().waitFor({ state: 'detached' });

    const screenshot = await page.screenshot({ clip: { x: 0, y: 0, width: 1440, height: 300 } });
    expect(screenshot.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      writeFileSync(SCREENSHOT, screenshot);
    }
  });
});

function sum(counts: Counts): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}
