// The same session on the board twice: once on a bullmq queue through bull-board's own
// BullMQAdapter, once on a Conveyor queue through ConveyorAdapter. Every answer of the REST API
// must be the same, once the values that differ between any two runs (clock values, queue names,
// stack frames, connection ids) are replaced by placeholders.
import { FlowProducer as BullFlowProducer } from 'bullmq';
import { FlowProducer } from 'nestjs-conveyor';
import { connection } from '../support/redis.js';
import { closedAfterEach } from '../support/scope.js';
import type { BoardApi } from './support/board.js';
import { BULLMQ, CONVEYOR, type AnyQueue, type Engine } from './support/engines.js';
import { BoardScope } from './support/scope.js';

type Transcript = [step: string, answer: unknown][];

/**
 * The id of a job added without a jobId (the board's add, a scheduler run now). Both engines draw
 * it from the queue's `id` counter, but Conveyor reserves a block of ids before its adds (so that
 * a resent add stays one job, lib/engine/job-ids.ts) while schedulers and flows take values of the
 * same counter: the numbers differ between the two runs. Every other job has a custom id.
 */
const AUTO_ID = /^\d+$/;

/** Clock values, counter ids, the queue names and stack frames replaced, so two runs compare. */
function normalize(value: unknown, names: Record<string, string>): unknown {
  if (typeof value === 'number') return value > 1e12 ? '<ms>' : value;
  if (typeof value === 'string') {
    let text = value.replace(/\d{13}/g, '<ms>');
    for (const [name, placeholder] of Object.entries(names)) text = text.replaceAll(name, placeholder);
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, names));
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    // a scheduler's run and its options: its delay is the time left until the run, read at any instant
    const isRun = [record.id, record.jobId].some((id) => typeof id === 'string' && id.startsWith('repeat:'));
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        if (isRun && key === 'delay') return [key, '<until the run>'];
        if (key === 'id' && typeof v === 'string' && AUTO_ID.test(v)) return [key, '<auto id>'];
        // each entry is an error's stack: its first line is the message, the frames are each engine's own
        if (key === 'stacktrace' && Array.isArray(v)) return [key, v.map((s: string) => s.split('\n')[0])];
        if (key === 'uptime' || key === 'age') return [key, '<seconds>'];
        return [key, normalize(v, names)];
      }),
    );
  }
  return value;
}

/**
 * Differences we know of and keep, each turning Conveyor's answer at the steps it names into
 * bullmq's, so that everything else is still compared exactly. Both come from the engine's Job
 * object, not from the adapter.
 */
const KNOWN_DIFFERENCES: { steps: RegExp; why: string; adjust: (answer: unknown) => unknown }[] = [
  {
    steps: /./,
    why:
      "a scheduler's run read back from Redis: Conveyor's Job keeps `repeatJobKey` in `job.opts` as well as in " +
      '`job.repeatJobKey` (test/interop/job-scheduler.spec.ts expects it so); bullmq 6.7 moves it out of the options',
    adjust: function dropRepeatJobKey(answer: unknown): unknown {
      if (Array.isArray(answer)) return answer.map(dropRepeatJobKey);
      if (!answer || typeof answer !== 'object') return answer;
      const isRunOptions = String((answer as { jobId?: unknown }).jobId).startsWith('repeat:');
      return Object.fromEntries(
        Object.entries(answer)
          .filter(([key]) => !(isRunOptions && key === 'repeatJobKey'))
          .map(([key, value]) => [key, dropRepeatJobKey(value)]),
      );
    },
  },
  {
    steps: /^run scheduler$/,
    why:
      "a job object just added without a delay: Conveyor's Job has `delay` 0, bullmq 6.7's has it undefined (the board " +
      'then leaves the field out); read back from Redis, both have 0',
    adjust: (answer) => {
      const { body, ...rest } = answer as { body: { job: Record<string, unknown> } };
      const { delay, ...job } = body.job;
      return delay === 0 ? { ...rest, body: { ...body, job } } : answer;
    },
  },
];

/** A worker that completes 'ok' jobs (logs, progress, a return value) and fails 'bad' ones, then stops. */
async function finish(engine: Engine, scope: BoardScope, queue: AnyQueue, count: number): Promise<void> {
  const worker = scope.track(
    engine.worker(queue.name, async (job) => {
      if (job.name === 'bad') throw new Error('planned failure');
      await job.log('first line');
      await job.updateProgress({ step: 1 });
      return { n: job.data.n };
    }),
  );
  await new Promise<void>((resolve) => {
    let finished = 0;
    const one = () => ++finished === count && resolve();
    worker.on('completed', one);
    worker.on('failed', one);
  });
  await worker.close();
}

/** One session on the board: views, then every action, each followed by what the board shows. */
async function session(engine: Engine, scope: BoardScope): Promise<Transcript> {
  const transcript: Transcript = [];
  const name = scope.name(`parity-${engine.label}`);
  const childName = scope.name(`parity-child-${engine.label}`);
  const queue = scope.track(engine.queue(name, { defaultJobOptions: { attempts: 2, removeOnFail: 50 } }));
  const children = scope.track(engine.queue(childName));
  const { api } = await scope.board([engine.adapter(queue), engine.adapter(children)]);
  const q = (rest = '') => api.queuePath(name, rest);
  const record = async (step: string, answer: Promise<unknown>) => {
    transcript.push([step, await answer]);
  };
  const look = async (step: string) => {
    await record(`${step}: queues`, listed(api, name, 'latest'));
    await record(`${step}: counts in Redis`, queue.getJobCounts());
  };

  // custom ids: the board's answers name jobs by id (see AUTO_ID for the two it adds itself)
  await queue.add('ok', { n: 1 }, { jobId: 'ok-1' });
  await queue.add('bad', { n: 2 }, { jobId: 'bad', attempts: 1 });
  await queue.add('ok', { n: 3 }, { jobId: 'ok-2' });
  await finish(engine, scope, queue, 3);
  await queue.add('w1', { n: 4 }, { jobId: 'w1' });
  await queue.add('later', { n: 5 }, { jobId: 'later-1', delay: 3_600_000 });
  await queue.add('urgent', { n: 6 }, { jobId: 'urgent', priority: 4 });
  await queue.add('later', { n: 7 }, { jobId: 'later-2', delay: 7_200_000 });
  await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'UTC' }, { name: 'report', data: { r: 1 } });
  const flows = scope.track(
    engine.label === 'bullmq' ? new BullFlowProducer({ connection: connection() }) : new FlowProducer({ connection: connection() }),
  );
  await flows.add({
    name: 'parent',
    queueName: name,
    data: {},
    opts: { jobId: 'flow-parent' },
    children: [{ name: 'child', queueName: childName, data: { c: 1 }, opts: { jobId: 'flow-child' } }],
  });

  // views
  await look('start');
  for (const status of ['active', 'waiting', 'waiting-children', 'prioritized', 'completed', 'failed', 'delayed']) {
    await record(`tab ${status}`, listed(api, name, status));
  }
  for (const id of ['ok-1', 'bad', 'w1', 'later-1', 'urgent', 'flow-parent']) await record(`job ${id}`, api.get(q(`/${id}`)));
  await record('logs of job ok-1', api.get(q('/ok-1/logs')));
  await record('flow from the child', api.get(api.queuePath(childName, '/flow-child/flow')));
  await record('default job options', api.get(q('/default-job-options')));
  await record('workers', api.get(q('/workers')));
  await record('rate limit', api.get(q('/rate-limit')));
  await record('schedulers', api.get(`/api/job-schedulers?queueName=${encodeURIComponent(name)}`));
  await record('job data schema', api.get(q('/job-data-schema')));
  await record(
    'redis stats keys',
    api.get('/api/redis/stats').then((a) => [a.status, Object.keys(a.body).sort()]),
  );

  // actions
  await record('add', api.post(q('/add'), { name: 'added', data: { a: 1 }, options: { delay: 60_000, attempts: 4 } }));
  await look('after add');
  await record('promote job later-1', api.put(q('/later-1/promote')));
  await record('promote all', api.put(q('/promote')));
  await look('after promote');
  await record('retry job bad', api.put(q('/bad/retry')));
  await record('retry all completed', api.put(q('/retry/completed')));
  await look('after retry');
  await record('remove job w1', api.put(q('/w1/clean')));
  await record('clean all waiting', api.put(q('/clean/wait')));
  await look('after clean');
  await record('update data of job urgent', api.patch(q('/urgent/update-data'), { jobData: { n: 60 } }));
  await record('priority of job urgent', api.patch(q('/urgent/priority'), { priority: 9 }));
  await record('job urgent after edits', api.get(q('/urgent')));
  await record('set concurrency', api.put(q('/concurrency'), { concurrency: 3 }));
  await look('after concurrency');
  await record('remove concurrency', api.put(q('/concurrency'), { concurrency: 0 }));
  await record('set rate limit', api.put(q('/rate-limit'), { max: 10, duration: 2000 }));
  await record('rate limit after set', api.get(q('/rate-limit')));
  await queue.rateLimit(60_000);
  await record(
    'active rate limit',
    listed(api, name, 'latest').then((l) => l.activeRateLimitTtl > 0),
  );
  await record('release rate limit', api.put(q('/rate-limit/release')));
  await record('remove rate limit', api.put(q('/rate-limit'), { max: null }));
  await look('after rate limits');
  await record('edit scheduler', api.patch(q('/job-schedulers/nightly'), { pattern: '0 4 * * *' }));
  await record('run scheduler', api.put(q('/job-schedulers/nightly/run')));
  await record('schedulers after edit and run', api.get(`/api/job-schedulers?queueName=${encodeURIComponent(name)}`));
  await record('remove scheduler', api.put(q('/job-schedulers/nightly/remove')));
  await look('after schedulers');
  await record('pause', api.put(q('/pause')));
  await look('paused');
  await record('resume all', api.put('/api/queues/resume'));
  await record('pause all', api.put('/api/queues/pause'));
  await look('all paused');
  await record('resume', api.put(q('/resume')));
  await queue.add('later', { n: 8 }, { jobId: 'later-3', delay: 3_600_000 });
  await queue.add('w2', { n: 9 }, { jobId: 'w2' });
  await record('empty', api.put(q('/empty')));
  await look('after empty');
  await record('obliterate', api.put(q('/obliterate')));
  await record('pause before obliterate', api.put(q('/pause')));
  await record('obliterate paused', api.put(q('/obliterate')));
  await look('after obliterate');
  await queue.obliterate({ force: true });
  await children.obliterate({ force: true });
  return normalize(transcript, { [childName]: 'CHILD', [name]: 'QUEUE' }) as Transcript;
}

/** The board's listing of the queue, with its jobs of one status. */
async function listed(api: BoardApi, name: string, status: string): Promise<any> {
  return (await api.queues(name, status)).find((entry) => entry.name === name);
}

describe('the board on a bullmq queue (its BullMQAdapter) and on a Conveyor queue (ConveyorAdapter)', () => {
  const scope = closedAfterEach(new BoardScope());

  it('answers every view and action the same', async () => {
    const bullmq = await session(BULLMQ, scope);
    const conveyor = (await session(CONVEYOR, scope)).map(([step, answer]): [string, unknown] => [
      step,
      KNOWN_DIFFERENCES.filter((known) => known.steps.test(step)).reduce((adjusted, known) => known.adjust(adjusted), answer),
    ]);
    expect(conveyor.map(([step]) => step)).toEqual(bullmq.map(([step]) => step));
    // step by step, so a difference names its step
    for (let i = 0; i < bullmq.length; i++) expect([conveyor[i][0], conveyor[i][1]]).toEqual([bullmq[i][0], bullmq[i][1]]);
  }, 60_000);
});
