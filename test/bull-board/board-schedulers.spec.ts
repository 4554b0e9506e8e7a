// The board's job scheduler views and actions on Conveyor queues (list, count, edit the schedule,
// run now, remove), through its REST API, checked in Redis through the Conveyor Queue.
import { times } from '../support/events.js';
import { closedAfterEach } from '../support/scope.js';
import { BoardScope } from './support/scope.js';

describe('bull-board job schedulers of Conveyor queues', () => {
  const scope = closedAfterEach(new BoardScope());

  async function queueWithSchedulers() {
    const queue = scope.queue();
    await queue.upsertJobScheduler('every-minute', { every: 60_000 }, { name: 'tick', data: { t: 1 }, opts: { attempts: 2 } });
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *', tz: 'Europe/Paris' }, { name: 'report' });
    const { api } = await scope.conveyorBoard([queue]);
    return { queue, api };
  }

  it('lists the schedulers of a queue, with their next run, and counts them', async () => {
    const { queue, api } = await queueWithSchedulers();
    expect((await api.queue(queue.name)).jobSchedulerCount).toBe(2);
    const answer = await api.get(`/api/job-schedulers?queueName=${encodeURIComponent(queue.name)}`);
    expect(answer.status).toBe(200);
    const byId = Object.fromEntries(answer.body.schedulers.map((s: { id: string }) => [s.id, s]));
    const every = (await queue.getJobScheduler('every-minute'))!;
    const nightly = (await queue.getJobScheduler('nightly'))!;
    expect(byId['every-minute']).toEqual({
      id: 'every-minute',
      queueName: queue.name,
      name: 'tick',
      every: 60_000,
      next: every.next,
      nextRunJobId: `repeat:every-minute:${every.next}`,
      iterationCount: 1,
      template: { data: { t: 1 }, opts: { attempts: 2 } },
    });
    expect(byId.nightly).toEqual({
      id: 'nightly',
      queueName: queue.name,
      name: 'report',
      pattern: '0 3 * * *',
      tz: 'Europe/Paris',
      next: nightly.next,
      nextRunJobId: `repeat:nightly:${nightly.next}`,
      iterationCount: 1,
    });
    // the pending iterations are real jobs of the queue
    expect(await queue.getJobState(byId.nightly.nextRunJobId)).toBe('delayed');

    // the cross-queue list has them too
    const all = await api.get('/api/job-schedulers');
    expect(all.body.schedulers.map((s: { id: string }) => s.id).sort()).toEqual(['every-minute', 'nightly']);
  });

  it('shows when a scheduler last ran and which job that was', async () => {
    const { queue, api } = await queueWithSchedulers();
    const firstRun = `repeat:every-minute:${(await queue.getJobScheduler('every-minute'))!.next}`;
    const worker = scope.worker(queue, async () => 'done');
    await times(worker, 'completed', 1, 10_000, (job: { id: string }) => job.id === firstRun);
    await worker.close();
    const after = (await queue.getJobScheduler('every-minute'))!;
    const pending = (await queue.getJob(`repeat:every-minute:${after.next}`))!;

    const { body } = await api.get(`/api/job-schedulers?queueName=${encodeURIComponent(queue.name)}`);
    const every = body.schedulers.find((s: { id: string }) => s.id === 'every-minute');
    expect(every).toMatchObject({
      iterationCount: 2,
      next: after.next,
      nextRunJobId: pending.id,
      lastRun: pending.timestamp,
      lastRunJobId: firstRun,
    });
    // a cron schedule that has not run has neither
    const nightly = body.schedulers.find((s: { id: string }) => s.id === 'nightly');
    expect(nightly.lastRun).toBeUndefined();
    expect(nightly.lastRunJobId).toBeUndefined();
  });

  it('changes a schedule and keeps the job it makes', async () => {
    const { queue, api } = await queueWithSchedulers();
    const path = api.queuePath(queue.name, '/job-schedulers/every-minute');
    expect(await api.patch(path, { every: 120_000 })).toEqual({ status: 204, body: undefined });
    const every = (await queue.getJobScheduler('every-minute'))!;
    expect(every).toMatchObject({ every: 120_000, name: 'tick', template: { data: { t: 1 }, opts: { attempts: 2 } } });

    expect(await api.patch(path, { pattern: '*/5 * * * *', tz: 'UTC' })).toEqual({ status: 204, body: undefined });
    const cron = (await queue.getJobScheduler('every-minute'))!;
    expect(cron).toMatchObject({ pattern: '*/5 * * * *', tz: 'UTC', name: 'tick', template: { data: { t: 1 }, opts: { attempts: 2 } } });
    expect(cron.every).toBeUndefined();
    expect(await queue.getJobState(`repeat:every-minute:${cron.next}`)).toBe('delayed');

    expect(await api.patch(api.queuePath(queue.name, '/job-schedulers/nope'), { every: 1000 })).toEqual({
      status: 404,
      body: { error: { key: 'ERRORS.JOB_SCHEDULER_NOT_FOUND' } },
    });
    expect(await api.patch(path, { pattern: 'not a cron' })).toEqual({
      status: 400,
      body: { error: { key: 'ERRORS.INVALID_SCHEDULER_PATTERN' } },
    });
    expect((await queue.getJobScheduler('every-minute'))!.pattern).toBe('*/5 * * * *');
  });

  it('runs a scheduler now: a plain job from its template, the schedule left as it was', async () => {
    const { queue, api } = await queueWithSchedulers();
    const before = (await queue.getJobScheduler('nightly'))!;
    const answer = await api.put(api.queuePath(queue.name, '/job-schedulers/nightly/run'));
    expect(answer.status).toBe(200);
    expect(answer.body.job).toMatchObject({ name: 'report' });
    const job = (await queue.getJob(answer.body.job.id))!;
    expect({ name: job.name, state: await job.getState(), repeatJobKey: job.repeatJobKey }).toEqual({
      name: 'report',
      state: 'waiting',
      repeatJobKey: undefined,
    });
    expect(await queue.getJobScheduler('nightly')).toEqual(before);

    const withTemplate = await api.put(api.queuePath(queue.name, '/job-schedulers/every-minute/run'));
    const templated = (await queue.getJob(withTemplate.body.job.id))!;
    expect({ data: templated.data, attempts: templated.opts.attempts }).toEqual({ data: { t: 1 }, attempts: 2 });

    expect(await api.put(api.queuePath(queue.name, '/job-schedulers/nope/run'))).toEqual({
      status: 404,
      body: { error: { key: 'ERRORS.JOB_SCHEDULER_NOT_FOUND' } },
    });
  });

  it('removes a scheduler with its pending run', async () => {
    const { queue, api } = await queueWithSchedulers();
    const pending = `repeat:nightly:${(await queue.getJobScheduler('nightly'))!.next}`;
    expect(await api.put(api.queuePath(queue.name, '/job-schedulers/nightly/remove'))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobScheduler('nightly')).toBeUndefined();
    expect(await queue.getJobState(pending)).toBe('unknown');
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect(await api.put(api.queuePath(queue.name, '/job-schedulers/nightly/remove'))).toEqual({
      status: 404,
      body: { error: { key: 'ERRORS.JOB_SCHEDULER_NOT_FOUND' } },
    });
  });

  it("refuses to remove a scheduler's pending run on its own, but removes a past one", async () => {
    const { queue, api } = await queueWithSchedulers();
    const firstRun = `repeat:every-minute:${(await queue.getJobScheduler('every-minute'))!.next}`;
    const worker = scope.worker(queue, async () => 'done');
    await times(worker, 'completed', 1, 10_000, (job: { id: string }) => job.id === firstRun);
    await worker.close();
    const pending = `repeat:every-minute:${(await queue.getJobScheduler('every-minute'))!.next}`;

    expect(await api.put(api.queuePath(queue.name, `/${pending}/clean`))).toEqual({
      status: 400,
      body: {
        error: { key: 'ERRORS.JOB_BELONGS_TO_JOB_SCHEDULER' },
        message: { key: 'ERRORS.JOB_BELONGS_TO_JOB_SCHEDULER_DETAILS', options: { jobId: pending, jobSchedulerId: 'every-minute' } },
        code: 'JOB_BELONGS_TO_JOB_SCHEDULER',
        jobSchedulerId: 'every-minute',
      },
    });
    expect(await queue.getJobState(pending)).toBe('delayed');
    expect(await api.put(api.queuePath(queue.name, `/${firstRun}/clean`))).toEqual({ status: 204, body: undefined });
    expect(await queue.getJobState(firstRun)).toBe('unknown');
  });
});
