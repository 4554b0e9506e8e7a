// QueueMetricsModule: a Nest app serving its queues' Prometheus metrics over HTTP, read back with a
// Prometheus text-format parser and checked against what Redis holds per queue and state.
import { Controller, Get, Header, Module, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  BullModule,
  ConveyorValidationError,
  FlowProducer,
  Queue,
  QueueMetricsModule,
  QueueMetricsService,
  QueueModule,
  Worker,
  type Job,
} from '../../lib/index.js';
import { parseExposition, valuesBy, type PrometheusFamily } from '../support/prometheus.js';
import { connection, rawClient, uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterAll } from '../support/scope.js';
import { nestPerTest, redisOptions } from './support/nest.js';

@Module({ providers: [{ provide: 'REGION', useValue: 'eu-west' }], exports: ['REGION'] })
class RegionModule {}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const STATES = ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting', 'waiting-children'];

/** Job counts per state, read from the queue's keys themselves (not through the engine). */
async function countsInRedis(redis: Redis, prefix: string, queue: string): Promise<Record<string, number>> {
  const key = (suffix: string) => `${prefix}:${queue}:${suffix}`;
  const [active, waiting, completed, delayed, failed, prioritized, waitingChildren, completedTotal, failedTotal] = await Promise.all([
    redis.llen(key('active')),
    redis.llen(key('wait')),
    redis.zcard(key('completed')),
    redis.zcard(key('delayed')),
    redis.zcard(key('failed')),
    redis.zcard(key('prioritized')),
    redis.zcard(key('waiting-children')),
    redis.hget(key('metrics:completed'), 'count'),
    redis.hget(key('metrics:failed'), 'count'),
  ]);
  return {
    active,
    completed,
    delayed,
    failed,
    prioritized,
    waiting,
    'waiting-children': waitingChildren,
    completed_total: Number(completedTotal ?? 0),
    failed_total: Number(failedTotal ?? 0),
  };
}

/** The same numbers as the scrape gives them for one queue. */
function countsInScrape(families: PrometheusFamily[], queue: string): Record<string, number> {
  const byState = valuesBy(families, 'bullmq_job_count', 'queue', 'state');
  const out: Record<string, number> = {};
  for (const state of STATES) out[state] = byState[`${queue}/${state}`];
  out.completed_total = valuesBy(families, 'bullmq_job_completed_total', 'queue')[queue];
  out.failed_total = valuesBy(families, 'bullmq_job_failed_total', 'queue')[queue];
  return out;
}

/**
 * Puts jobs of two queues in every state, driving a worker by hand so nothing moves meanwhile.
 * mails: 2 completed, 1 failed, 1 active, 1 waiting, 1 delayed, 2 prioritized;
 * reports: 2 failed, 1 parent waiting for its child, the child waiting.
 */
async function fillQueues(prefix: string, mails: string, reports: string): Promise<() => Promise<void>> {
  const options = { connection: connection(), prefix };
  const opened: { close(force?: boolean): Promise<void> }[] = [];
  const manual = (name: string) => {
    const worker = new Worker(name, null, { ...options, autorun: false, metrics: { maxDataPoints: 60 } });
    opened.push(worker);
    return worker;
  };
  const mailQueue = new Queue(mails, options);
  const reportQueue = new Queue(reports, options);
  const flows = new FlowProducer(options);
  opened.push(mailQueue, reportQueue, flows);

  await mailQueue.addBulk(['m1', 'm2', 'm3', 'm4', 'm5'].map((name) => ({ name, data: {} })));
  const mailWorker = manual(mails);
  const taken: Job[] = [];
  for (let i = 0; i < 4; i++) taken.push((await mailWorker.getNextJob(`mail-${i}`))!);
  await taken[0].moveToCompleted('ok', 'mail-0', false);
  await taken[1].moveToCompleted('ok', 'mail-1', false);
  await taken[2].moveToFailed(new Error('bounced'), 'mail-2');
  // taken[3] stays active
  await mailQueue.add('later', {}, { delay: 60_000 });
  await mailQueue.add('urgent', {}, { priority: 1 });
  await mailQueue.add('soon', {}, { priority: 2 });

  await reportQueue.addBulk([
    { name: 'r1', data: {} },
    { name: 'r2', data: {} },
  ]);
  const reportWorker = manual(reports);
  for (const token of ['report-0', 'report-1']) await (await reportWorker.getNextJob(token))!.moveToFailed(new Error('no data'), token);
  await flows.add({ name: 'summary', queueName: reports, children: [{ name: 'part', queueName: reports }] });

  // close(true): the active job stays where it is, as a worker still holding it would leave it
  return async () => {
    for (const thing of opened.reverse()) await thing.close(true);
  };
}

describe('QueueMetricsModule: /metrics for Prometheus', () => {
  const prefix = uniqueName('metrics');
  const mails = uniqueName('mails');
  const reports = uniqueName('reports');
  const redis = rawClient();
  const nest = nestPerTest();
  // the queues every test reads, filled once
  const filled = closedAfterAll(new BaseScope());
  filled.removeKeysOf(mails, prefix);
  filled.removeKeysOf(reports, prefix);
  let served: INestApplication | undefined;

  const start = async (metadata: ModuleMetadata, configure?: (app: INestApplication) => void) => {
    const { app, base } = await nest.serve(metadata, { configure });
    served = app;
    return base;
  };
  const queues = (...extra: ModuleMetadata['imports'] & object) => [
    QueueModule.forRoot({ connection: redisOptions(), prefix }),
    QueueModule.registerQueue({ name: mails }, { name: reports }),
    ...extra,
  ];

  beforeAll(async () => {
    filled.onClose(await fillQueues(prefix, mails, reports));
  });
  afterAll(() => redis.disconnect());

  it('GET /metrics answers one valid exposition whose counts are what Redis holds, per queue and state', async () => {
    const base = await start({ imports: queues(QueueMetricsModule.forRoot({ globalVariables: { service: 'api' } })) });
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(CONTENT_TYPE);
    const body = await response.text();
    expect(body.endsWith('\n')).toBe(true);

    const families = parseExposition(body);
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['bullmq_job_count', 'GAUGE'],
      ['bullmq_job_completed_total', 'COUNTER'],
      ['bullmq_job_failed_total', 'COUNTER'],
    ]);
    // bullmq's HELP texts, once each
    expect(body.split('\n').filter((l) => l.startsWith('# HELP'))).toEqual([
      '# HELP bullmq_job_count Number of jobs in the queue by state',
      '# HELP bullmq_job_completed_total Total number of completed jobs',
      '# HELP bullmq_job_failed_total Total number of failed jobs',
    ]);
    for (const family of families) for (const metric of family.metrics) expect(metric.labels).toMatchObject({ service: 'api' });

    // the numbers Redis holds, and the ones the jobs were put there to make
    const inRedis = { [mails]: await countsInRedis(redis, prefix, mails), [reports]: await countsInRedis(redis, prefix, reports) };
    expect(inRedis[mails]).toEqual({
      active: 1,
      completed: 2,
      delayed: 1,
      failed: 1,
      prioritized: 2,
      waiting: 1,
      'waiting-children': 0,
      completed_total: 2,
      failed_total: 1,
    });
    expect(inRedis[reports]).toEqual({
      active: 0,
      completed: 0,
      delayed: 0,
      failed: 2,
      prioritized: 0,
      waiting: 1,
      'waiting-children': 1,
      completed_total: 0,
      failed_total: 2,
    });
    expect({ [mails]: countsInScrape(families, mails), [reports]: countsInScrape(families, reports) }).toEqual(inRedis);
  });

  it("serves the path given (after the app's global prefix), and nothing at /metrics then", async () => {
    const base = await start({ imports: queues(QueueMetricsModule.forRoot({ path: 'internal/prometheus' })) }, (app) =>
      app.setGlobalPrefix('ops'),
    );
    const response = await fetch(`${base}/ops/internal/prometheus`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(CONTENT_TYPE);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(valuesBy(parseExposition(await response.text()), 'bullmq_job_count', 'queue', 'state')[`${reports}/waiting-children`]).toBe(1);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/ops/metrics`)).status).toBe(404);
  });

  it('forRootAsync takes the labels from a factory with injected providers', async () => {
    const base = await start({
      imports: queues(
        QueueMetricsModule.forRootAsync({
          inject: ['REGION'],
          imports: [RegionModule],
          useFactory: (region: string) => ({ globalVariables: { region } }),
        }),
      ),
    });
    const families = parseExposition(await (await fetch(`${base}/metrics`)).text());
    expect(new Set(families.flatMap((f) => f.metrics.map((m) => m.labels?.region)))).toEqual(new Set(['eu-west']));
  });

  it('imported as it is, it mounts no route and gives QueueMetricsService to a controller of your own', async () => {
    @Controller()
    class OwnMetricsController {
      constructor(private readonly queueMetrics: QueueMetricsService) {}
      @Get('stats')
      @Header('Content-Type', CONTENT_TYPE)
      async scrape(): Promise<string> {
        // e.g. what prom-client's registry serves, then the queues'
        return `# HELP app_up 1 when the app runs\n# TYPE app_up gauge\napp_up 1\n${await this.queueMetrics.metrics({ globalVariables: { via: 'own' } })}`;
      }
    }
    const base = await start({ imports: queues(QueueMetricsModule), controllers: [OwnMetricsController] });
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const families = parseExposition(await (await fetch(`${base}/stats`)).text());
    expect(families.map((f) => f.name)).toEqual(['app_up', 'bullmq_job_count', 'bullmq_job_completed_total', 'bullmq_job_failed_total']);
    expect(valuesBy(families, 'bullmq_job_failed_total', 'queue', 'via')).toEqual({ [`${mails}/own`]: 1, [`${reports}/own`]: 2 });
  });

  it("exports @nestjs/bullmq-style registrations (BullModule) too, and one connection's queues with configKey", async () => {
    const other = nest.name('other', prefix);
    const base = await start({
      imports: [
        BullModule.forRoot({ connection: redisOptions(), prefix }),
        BullModule.registerQueue({ name: mails }),
        QueueModule.forRoot({ configKey: 'second', connection: redisOptions(), prefix }),
        QueueModule.registerQueue({ name: other, configKey: 'second' }),
        QueueMetricsModule.forRoot({ configKey: 'default' }),
      ],
    });
    const all = valuesBy(parseExposition(await (await fetch(`${base}/metrics`)).text()), 'bullmq_job_failed_total', 'queue');
    expect(all).toEqual({ [mails]: 1 });
    const service = served!.get(QueueMetricsService);
    expect(valuesBy(parseExposition(await service.metrics({ configKey: 'second' })), 'bullmq_job_failed_total', 'queue')).toEqual({
      [other]: 0,
    });
  });

  it('refuses to merge one queue name registered on two connections (the series would collide), naming both', async () => {
    const base = await start({
      imports: [
        ...queues(QueueMetricsModule.forRoot()),
        QueueModule.forRoot({ configKey: 'copy', connection: redisOptions(), prefix }),
        QueueModule.registerQueue({ name: mails, configKey: 'copy' }),
      ],
    });
    expect((await fetch(`${base}/metrics`)).status).toBe(500);
    const service = served!.get(QueueMetricsService);
    await expect(service.metrics()).rejects.toThrow(
      `queue "${mails}" is registered on connections "default" and "copy": their Prometheus series would carry the same labels; ` +
        "export one connection's queues with { configKey }",
    );
    expect(valuesBy(parseExposition(await service.metrics({ configKey: 'copy' })), 'bullmq_job_failed_total', 'queue')).toEqual({
      [mails]: 1,
    });
  });

  it('refuses labels Prometheus would refuse, and other bad options, when the module is defined', () => {
    const bad: [unknown, string][] = [
      [{ globalVariables: { 'bad-name': 'x' } }, 'globalVariables has "bad-name", which is not a Prometheus label name'],
      [{ globalVariables: { __reserved: 'x' } }, 'globalVariables has "__reserved", which is not a Prometheus label name'],
      [{ globalVariables: { queue: 'x' } }, 'globalVariables has "queue", a label every queue series has already'],
      [{ globalVariables: { env: { nested: true } } }, 'globalVariables.env must be a string, got {"nested":true}'],
      [{ globalVariables: 'env=prod' }, 'globalVariables must be an object of label names to values, got "env=prod"'],
      [{ path: 5 }, 'path must be a string, got 5'],
      [{ configKey: '' }, 'configKey must be a non-empty string, got ""'],
    ];
    for (const [options, message] of bad) {
      const err = (() => {
        try {
          QueueMetricsModule.forRoot(options as never);
        } catch (e) {
          return e;
        }
        throw new Error(`accepted ${JSON.stringify(options)}`);
      })();
      expect(err).toBeInstanceOf(ConveyorValidationError);
      expect((err as Error).message).toContain(`QueueMetricsModule.forRoot: ${message}`);
    }
    expect(() => QueueMetricsModule.forRootAsync({} as never)).toThrow(
      'QueueMetricsModule.forRootAsync: takes { useFactory, inject?, imports?, path? }',
    );
  });
});
