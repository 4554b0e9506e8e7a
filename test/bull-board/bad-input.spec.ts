// Bad input in a board action, answered by the board over HTTP: on Conveyor queues (ConveyorAdapter)
// and, for comparison, on bullmq queues (bull-board's own BullMQAdapter) with the same requests.
// Conveyor's refusals come back as a 4xx with Conveyor's message; where bullmq's adapter lets the
// same input through to a 500 (or stores it), the table below says so.
import type { Answer, BoardApi } from './support/board.js';
import { BULLMQ, CONVEYOR, type AnyQueue, type Engine } from './support/engines.js';
import { BoardScope } from './support/scope.js';

interface Fixture {
  api: BoardApi;
  queue: AnyQueue;
  /** The board's path of the queue, plus `rest`. */
  path: (rest: string) => string;
  waiting: string;
  delayed: string;
}

type Case = (f: Fixture) => Promise<Answer>;

/** An internal server error carrying `message`, as bull-board answers an error thrown in a handler. */
const serverError = (message: string | RegExp) => ({ status: 500, body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message } });
/** A 4xx with `message`: how ConveyorAdapter answers Conveyor's refusals. */
const refused = (status: number, message: string | RegExp) => ({
  status,
  body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message },
});
const NO_JOB = { status: 404, body: { error: { key: 'ERRORS.JOB_NOT_FOUND' } } };

/** Each case, what Conveyor answers and what bullmq answers (the same where they agree). */
const CASES: [string, Case, { conveyor: unknown; bullmq: unknown }][] = [
  [
    'add a job with an integer-like custom id',
    (f) => f.api.post(f.path('/add'), { name: 'x', data: {}, options: { jobId: '42' } }),
    { conveyor: refused(400, 'Custom Id cannot be integers'), bullmq: serverError('Custom Id cannot be integers') },
  ],
  [
    'add a job with a priority above the limit',
    (f) => f.api.post(f.path('/add'), { name: 'x', data: {}, options: { priority: 3_000_000 } }),
    {
      conveyor: refused(400, /^Priority should be between 0 and 2097151/),
      bullmq: serverError('Priority should be between 0 and 2097151'),
    },
  ],
  [
    'add a job whose data is larger than its sizeLimit',
    (f) => f.api.post(f.path('/add'), { name: 'x', data: { text: 'a long enough text' }, options: { sizeLimit: 5 } }),
    {
      conveyor: refused(400, /^The size of job x exceeds the limit 5 bytes/),
      bullmq: serverError('The size of job x exceeds the limit 5 bytes'),
    },
  ],
  [
    'add a job with options that exclude each other',
    (f) => f.api.post(f.path('/add'), { name: 'x', data: {}, options: { removeDependencyOnFailure: true, failParentOnFailure: true } }),
    { conveyor: refused(400, /removeDependencyOnFailure/), bullmq: serverError(/removeDependencyOnFailure/) },
  ],
  [
    'add a job with a name that is not a string',
    (f) => f.api.post(f.path('/add'), { name: 7, data: {} }),
    {
      conveyor: {
        status: 400,
        body: { error: { key: 'ERRORS.INVALID_REQUEST_BODY', options: { field: 'name' } }, code: 'INVALID_REQUEST' },
      },
      bullmq: 'same',
    },
  ],
  [
    'set a negative global concurrency',
    (f) => f.api.put(f.path('/concurrency'), { concurrency: -1 }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_CONCURRENCY' }, code: 'INVALID_REQUEST' } }, bullmq: 'same' },
  ],
  [
    'set a global concurrency beyond the safe integers',
    (f) => f.api.put(f.path('/concurrency'), { concurrency: 2 ** 60 }),
    { conveyor: refused(400, /^concurrency must be/), bullmq: { status: 200, body: {} } },
  ],
  [
    'set a rate limit of 0 jobs',
    (f) => f.api.put(f.path('/rate-limit'), { max: 0, duration: 1000 }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_RATE_LIMIT' }, code: 'INVALID_REQUEST' } }, bullmq: 'same' },
  ],
  [
    'set a rate limit without a duration',
    (f) => f.api.put(f.path('/rate-limit'), { max: 5 }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_RATE_LIMIT' }, code: 'INVALID_REQUEST' } }, bullmq: 'same' },
  ],
  [
    'set a rate limit whose duration is beyond the safe integers',
    (f) => f.api.put(f.path('/rate-limit'), { max: 5, duration: 2 ** 60 }),
    { conveyor: refused(400, /^duration must be/), bullmq: { status: 200, body: {} } },
  ],
  ['read a job that does not exist', (f) => f.api.get(f.path('/no-such-job')), { conveyor: NO_JOB, bullmq: 'same' }],
  ['retry a job that does not exist', (f) => f.api.put(f.path('/no-such-job/retry')), { conveyor: NO_JOB, bullmq: 'same' }],
  ['promote a job that does not exist', (f) => f.api.put(f.path('/no-such-job/promote')), { conveyor: NO_JOB, bullmq: 'same' }],
  ['remove a job that does not exist', (f) => f.api.put(f.path('/no-such-job/clean')), { conveyor: NO_JOB, bullmq: 'same' }],
  [
    'edit the data of a job that does not exist',
    (f) => f.api.patch(f.path('/no-such-job/update-data'), { jobData: {} }),
    { conveyor: NO_JOB, bullmq: 'same' },
  ],
  [
    'read the logs of a job that does not exist',
    (f) => f.api.get(f.path('/no-such-job/logs')),
    { conveyor: { status: 200, body: [] }, bullmq: 'same' },
  ],
  [
    'promote a job that is not delayed',
    (f) => f.api.put(f.path(`/${f.waiting}/promote`)),
    {
      conveyor: refused(409, 'Job 1 is not in the delayed state. promote'),
      bullmq: serverError('Job 1 is not in the delayed state. promote'),
    },
  ],
  [
    'retry a job that is not finished',
    (f) => f.api.put(f.path(`/${f.waiting}/retry`)),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.JOB_NOT_RETRIABLE', options: { state: 'waiting' } } } }, bullmq: 'same' },
  ],
  [
    'retry all jobs of a state that cannot be retried',
    (f) => f.api.put(f.path('/retry/waiting')),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.STATUS_NOT_RETRIABLE', options: { status: 'waiting' } } } }, bullmq: 'same' },
  ],
  [
    'clean all jobs of a state that does not exist',
    (f) => f.api.put(f.path('/clean/bogus')),
    { conveyor: refused(400, /^type must be one of/), bullmq: { status: 200, body: {} } },
  ],
  [
    'change the due time of a job that is not delayed',
    (f) => f.api.patch(f.path(`/${f.waiting}/delay`), { runAt: Date.now() + 1000 }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.JOB_NOT_DELAYED', options: { status: 'waiting' } } } }, bullmq: 'same' },
  ],
  [
    'give a job a priority above the limit',
    (f) => f.api.patch(f.path(`/${f.delayed}/priority`), { priority: 3_000_000 }),
    {
      conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_PRIORITY', options: { max: 2097151 } }, code: 'INVALID_REQUEST' } },
      bullmq: 'same',
    },
  ],
  [
    'give a scheduler a pattern that is not cron',
    (f) => f.api.patch(f.path('/job-schedulers/sch'), { pattern: 'not a cron' }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_SCHEDULER_PATTERN' } } }, bullmq: 'same' },
  ],
  [
    'give a scheduler a time zone that does not exist',
    (f) => f.api.patch(f.path('/job-schedulers/sch'), { pattern: '0 3 * * *', tz: 'Mars/Olympus_Mons' }),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.INVALID_SCHEDULER_PATTERN' } } }, bullmq: 'same' },
  ],
  [
    'act on a queue the board does not have',
    (f) => f.api.put('/api/queues/no-such-queue/pause'),
    { conveyor: { status: 404, body: { error: { key: 'ERRORS.QUEUE_NOT_FOUND' } } }, bullmq: 'same' },
  ],
  [
    'obliterate a queue that is not paused',
    (f) => f.api.put(f.path('/obliterate')),
    { conveyor: { status: 400, body: { error: { key: 'ERRORS.QUEUE_NOT_PAUSED' } } }, bullmq: 'same' },
  ],
];

/** Replaces the regular expressions of an expected answer by matchers. */
function expected(answer: unknown): unknown {
  if (answer instanceof RegExp) return expect.stringMatching(answer);
  if (Array.isArray(answer)) return answer.map(expected);
  if (answer && typeof answer === 'object') return Object.fromEntries(Object.entries(answer).map(([k, v]) => [k, expected(v)]));
  return answer;
}

describe.each([CONVEYOR, BULLMQ])('bad input in board actions on $label queues', (engine: Engine) => {
  let scope: BoardScope;
  let fixture: Fixture;

  beforeEach(async () => {
    scope = new BoardScope();
    const queue = scope.track(engine.queue(scope.name(`bad-${engine.label}`)));
    const waiting = (await queue.add('w', {})).id!;
    const delayed = (await queue.add('d', {}, { delay: 3_600_000 })).id!;
    await queue.upsertJobScheduler('sch', { every: 60_000 }, { name: 'tick' });
    const { api } = await scope.board([engine.adapter(queue)]);
    fixture = { api, queue, path: (rest) => api.queuePath(queue.name, rest), waiting, delayed };
  });
  afterEach(() => scope.close());

  it.each(CASES)('%s', async (_what, request, answers) => {
    const want = engine.label === 'conveyor' || answers.bullmq === 'same' ? answers.conveyor : answers.bullmq;
    const answer = await request(fixture);
    expect(answer).toEqual(expected(want));
  });

  it('writes nothing when it refuses an added job', async () => {
    const before = await fixture.queue.getJobCounts();
    await fixture.api.post(fixture.path('/add'), { name: 'x', data: {}, options: { jobId: '42' } });
    await fixture.api.post(fixture.path('/add'), { name: 'x', data: { text: 'a long enough text' }, options: { sizeLimit: 5 } });
    expect(await fixture.queue.getJobCounts()).toEqual(before);
    expect(await fixture.queue.getJob('42')).toBeUndefined();
  });
});
