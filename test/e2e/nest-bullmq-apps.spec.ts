import { rmSync } from 'node:fs';
import { Queue as ConveyorQueue, getQueueToken } from 'nestjs-conveyor';
import type * as AsyncConfigApp from './bullmq-apps/async-config.app.js';
import type * as FlowsApp from './bullmq-apps/flows.app.js';
import type * as ManualRegistrationApp from './bullmq-apps/manual-registration.app.js';
import type * as ProcessorsOptionApp from './bullmq-apps/processors-option.app.js';
import type * as QueueEventsApp from './bullmq-apps/queue-events.app.js';
import type * as RequestScopedApp from './bullmq-apps/request-scoped.app.js';
import { Recorder } from './bullmq-apps/support.js';
import type * as WithoutRootApp from './bullmq-apps/without-root.app.js';
import type * as WorkerHostApp from './bullmq-apps/worker-host.app.js';
import type * as WorkerOnlyApp from './bullmq-apps/worker-only.app.js';
import {
  CONVEYOR_DIR,
  VARIANTS,
  bootModule,
  endRun,
  loadApp,
  writeConveyorCopies,
  type AppRun,
  type Variant,
} from './support/bullmq-apps.js';

// Each app in bullmq-apps/ is written for @nestjs/bullmq 12 as its documentation shows (npm run
// typecheck compiles it against @nestjs/bullmq). Every test runs an app twice: as it is, and with
// only its imports changed to 'nestjs-conveyor'. Both runs must behave the same, and as the test
// spells out, so two equal failures cannot pass.

beforeAll(() => {
  writeConveyorCopies();
});

afterAll(() => {
  rmSync(CONVEYOR_DIR, { recursive: true, force: true });
});

/** Runs `scenario` on both variants, each under its own prefix, and returns what each saw. */
async function onBoth<M, R>(file: string, scenario: (run: AppRun<M>) => Promise<R>): Promise<Record<Variant, R>> {
  const seen = {} as Record<Variant, R>;
  for (const variant of VARIANTS) {
    let run: AppRun<M> | undefined;
    try {
      run = await loadApp<M>(file, variant);
      seen[variant] = await scenario(run);
    } catch (err) {
      throw new Error(`${file} on ${variant}: ${(err as Error).stack ?? err}`, { cause: err });
    } finally {
      await endRun(run);
    }
  }
  return seen;
}

/** The queue under `name` is the engine of the run's variant (the rewrite really switched engines). */
function expectEngine(run: AppRun<unknown>, name: string): void {
  const queue = run.apps[0].get(getQueueToken(name), { strict: false });
  expect(queue instanceof ConveyorQueue).toBe(run.variant === 'conveyor');
}

describe('@nestjs/bullmq apps run on Conveyor with only their imports changed', () => {
  it('forRoot + registerQueue, a WorkerHost processor with @OnWorkerEvent handlers, @InjectQueue', async () => {
    const seen = await onBoth<typeof WorkerHostApp, unknown>('worker-host.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'audio');
      const audio = app.get(run.mod.AudioService);
      await audio.transcode(10);
      await audio.transcodeBroken(3);
      return { entries: await app.get(Recorder).until(8), defaults: audio.defaults() };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({
      entries: [
        'worker of audio with concurrency 1',
        'active transcode',
        'progress transcode 50',
        'completed transcode 20',
        'active broken',
        'failed broken after 1 attempt(s): cannot transcode 3 s',
        'active broken',
        'failed broken after 2 attempt(s): cannot transcode 3 s',
      ],
      // the registration's defaultJobOptions replace the forRoot's as a whole
      defaults: { removeOnFail: 10 },
    });
  });

  it('a @QueueEventsListener extending QueueEventsHost, @OnQueueEvent, waitUntilFinished on its queueEvents', async () => {
    const seen = await onBoth<typeof QueueEventsApp, unknown>('queue-events.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'reports');
      const reports = app.get(run.mod.ReportsService);
      const finished = await reports.render(12);
      const refused = await reports.render(-1).catch((err: Error) => `rejected: ${err.message}`);
      return { finished, refused, entries: await app.get(Recorder).until(2) };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({
      finished: { pages: 12 },
      refused: 'rejected: a report needs pages',
      entries: ['completed {"pages":12}', 'failed a report needs pages'],
    });
  });

  it('registerFlowProducer and @InjectFlowProducer: children first, then the parent with their values', async () => {
    const seen = await onBoth<typeof FlowsApp, unknown>('flows.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'checkout');
      const children = await app.get(run.mod.CheckoutService).place('A-1');
      return { children, entries: await app.get(Recorder).until(1) };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({ children: 2, entries: ['ship A-1 after children [-5,30]'] });
  });

  it('forRootAsync with ConfigService, a named configuration from a factory class, registerQueueAsync, registerFlowProducerAsync', async () => {
    const seen = await onBoth<typeof AsyncConfigApp, unknown>('async-config.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'mail');
      const jobs = app.get(run.mod.Jobs);
      await jobs.mail.add('welcome', { to: 'ada' });
      await jobs.pdf.add('invoice', { title: 'invoice-7' });
      const entries = (await app.get(Recorder).until(2)).sort();
      return {
        entries: entries.map((e) => e.replace(run.prefix, '<prefix>')),
        mailDefaults: jobs.mail.defaultJobOptions,
        batchesPrefix: jobs.batches.opts.prefix === run.prefix,
        reportsConfigPrefix: jobs.reportsConfig.prefix?.replace(run.prefix, '<prefix>'),
      };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({
      entries: ['mail to ada may take 4 attempts', 'pdf invoice-7 under <prefix>-reports'],
      mailDefaults: { attempts: 4 },
      batchesPrefix: true,
      reportsConfigPrefix: '<prefix>-reports',
    });
  });

  it('manual registration: nothing works until BullRegistrar.register(), then the processor and listener do', async () => {
    const seen = await onBoth<typeof ManualRegistrationApp, unknown>('manual-registration.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'imports');
      const imports = app.get(run.mod.ImportsService);
      imports.beforeRegister();
      await imports.start();
      await imports.importRows(250);
      return app.get(Recorder).until(3);
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual([
      'worker: "Worker" has not yet been initialized',
      'queueEvents: "QueueEvents" class has not yet been initialized',
      'imported 250 rows',
    ]);
  });

  it('the processors option: functions (one with its concurrency) and a processor file, each in a worker of its own', async () => {
    const seen = await onBoth<typeof ProcessorsOptionApp, unknown>('processors-option.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'thumbnails');
      const media = app.get(run.mod.MediaService);
      const thumbnails = (await media.thumbnail(['a', 'b', 'c'])).map((result) => String(result).replace(/^\w /, '')).sort();
      const frames = await media.countFrames(2);
      return { frames, thumbnails };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({
      frames: 48,
      thumbnails: ['by the first worker', 'by the second worker', 'by the second worker'],
    });
  });

  it('a request-scoped processor: a new instance per job, JOB_REF injected into it and its dependencies', async () => {
    const seen = await onBoth<typeof RequestScopedApp, unknown>('request-scoped.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'receipts');
      const receipts = app.get(run.mod.ReceiptsService);
      const before = receipts.instancesMade();
      await receipts.send([1, 2, 3]);
      const entries = await app.get(Recorder).until(3);
      return { entries, instancesPerJob: (receipts.instancesMade() - before) / 3 };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({
      entries: ['receipt 1: JOB_REF is the job: true', 'receipt 2: JOB_REF is the job: true', 'receipt 3: JOB_REF is the job: true'],
      instancesPerJob: 1,
    });
  });

  it('a queue with a connection of its own and no forRoot, with a processor and a QueueEventsHost listener', async () => {
    const seen = await onBoth<typeof WithoutRootApp, unknown>('without-root.app.ts', async (run) => {
      const app = await bootModule(run, run.mod.AppModule);
      expectEngine(run, 'inbox');
      const result = await app.get(run.mod.InboxService).deliver('hello');
      return { result, entries: await app.get(Recorder).until(1) };
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual({ result: 'HELLO', entries: ['message: HELLO (worker prefix true)'] });
  });

  it('two processors on one queue each get a worker; a processor for a queue the app does not register works too', async () => {
    const seen = await onBoth<typeof WorkerOnlyApp, unknown>('worker-only.app.ts', async (run) => {
      const workers = await bootModule(run, run.mod.WorkerAppModule);
      const producer = await bootModule(run, run.mod.ProducerAppModule);
      expectEngine(run, 'resize');
      await producer.get(run.mod.ImagesService).request(['a.png', 'b.png']);
      return (await workers.get(Recorder).until(3)).sort();
    });
    expect(seen.conveyor).toEqual(seen.bullmq);
    expect(seen.bullmq).toEqual(['archived a.png+b.png', 'resized by LargeImages', 'resized by SmallImages']);
  });
});
