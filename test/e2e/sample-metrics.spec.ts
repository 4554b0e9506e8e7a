// The sample's GET /metrics: its API scraped over HTTP and read with a Prometheus text-format
// parser, the numbers checked against Redis; a worker process serves none.
import { AppModule } from '../../sample/src/app.module.js';
import { parseExposition, valuesBy, type PrometheusFamily } from '../support/prometheus.js';
import { rawClient, uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterAll } from '../support/scope.js';
import { until } from '../support/wait.js';
import { nestPerTest } from './support/nest.js';

const QUEUES = ['emails', 'reports'];
const ENV = ['QUEUE_PREFIX', 'CONVEYOR_ROLE', 'DEMO_JOBS'] as const;

describe("the sample's /metrics", () => {
  const prefix = uniqueName('sample-metrics');
  const saved = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  const nest = nestPerTest();
  // the tests build on each other's jobs: the keys go after the last one
  const queues = closedAfterAll(new BaseScope());
  for (const queue of QUEUES) queues.removeKeysOf(queue, prefix);

  async function boot(role: 'all' | 'api' | 'worker'): Promise<string> {
    // its own prefix keeps the fixed queue names of the sample apart from other runs
    Object.assign(process.env, { QUEUE_PREFIX: prefix, CONVEYOR_ROLE: role, DEMO_JOBS: 'false' });
    return (await nest.serve({ imports: [AppModule] })).base;
  }

  afterAll(() => {
    for (const key of ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('the API (no workers) answers the waiting jobs it added, per queue, as Redis holds them', async () => {
    const base = await boot('api');
    const post = (path: string, body: object) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const to of ['a@example.com', 'b@example.com', 'c@example.com']) expect((await post('/jobs/email', { to })).status).toBe(201);
    expect((await post('/jobs/report', { title: 'Q3' })).status).toBe(201);

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(await response.text());
    expect(families.map((f) => f.name)).toEqual(['bullmq_job_count', 'bullmq_job_completed_total', 'bullmq_job_failed_total']);
    const counts = valuesBy(families, 'bullmq_job_count', 'queue', 'state');
    const redis = rawClient();
    try {
      for (const queue of QUEUES) {
        expect(counts[`${queue}/waiting`]).toBe(await redis.llen(`${prefix}:${queue}:wait`));
        expect(counts[`${queue}/active`]).toBe(0);
      }
    } finally {
      redis.disconnect();
    }
    expect(counts['emails/waiting']).toBe(3);
    expect(counts['reports/waiting']).toBe(1);
  });

  it('with workers (role all), the completed and failed totals count what its workers finished, as Redis holds them', async () => {
    const base = await boot('all');
    const post = (body: object) =>
      fetch(`${base}/jobs/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // no handler for this template: fails at once, without retries
    expect((await post({ to: 'd@example.com', template: 'newsletter' })).status).toBe(201);
    // until the jobs of this test and the one before have all finished
    const scrape = async () => parseExposition(await (await fetch(`${base}/metrics`)).text());
    const unfinished = (families: PrometheusFamily[]) =>
      Object.entries(valuesBy(families, 'bullmq_job_count', 'queue', 'state'))
        .filter(([key]) => !key.endsWith('/completed') && !key.endsWith('/failed'))
        .reduce((sum, [, n]) => sum + n, 0);
    const families = await until('every job finished, as /metrics says', scrape, (f) => unfinished(f) === 0, 15_000);
    const completed = valuesBy(families, 'bullmq_job_completed_total', 'queue');
    const failed = valuesBy(families, 'bullmq_job_failed_total', 'queue');
    expect({ completed, failed }).toEqual({ completed: { emails: 3, reports: 1 }, failed: { emails: 1, reports: 0 } });
    const redis = rawClient();
    try {
      for (const queue of QUEUES) {
        expect(completed[queue]).toBe(Number(await redis.hget(`${prefix}:${queue}:metrics:completed`, 'count')));
        expect(failed[queue]).toBe(Number((await redis.hget(`${prefix}:${queue}:metrics:failed`, 'count')) ?? 0));
      }
    } finally {
      redis.disconnect();
    }
  });

  it('a worker process (its HEALTH_PORT) answers 404 there, and health as before', async () => {
    const base = await boot('worker');
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toBe(
      'a worker process serves no metrics: scrape the API (roles all and api)',
    );
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
