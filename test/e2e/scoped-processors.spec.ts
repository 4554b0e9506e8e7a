import { Inject, Injectable, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { OnJobCompleted, Process, Processor, QueueModule, WorkerRegistry, getQueueToken, type Job, type Queue } from 'nestjs-conveyor';
import { times } from '../support/events.js';
import { deferred } from '../support/wait.js';
import { nestPerTest, redisOptions } from './support/nest.js';

let created = 0;

/** A request-scoped dependency: one per job, and it sees the job as its request. */
@Injectable({ scope: Scope.REQUEST })
class JobContext {
  readonly serial = ++created;
  constructor(@Inject(REQUEST) readonly job: Job) {}
}

@Injectable({ scope: Scope.TRANSIENT })
class Scratchpad {
  readonly notes: string[] = [];
}

describe('processors with request-scoped and transient dependencies', () => {
  const nest = nestPerTest();

  it('resolves a fresh processor per job, with the job as REQUEST; the job events reach that same instance', async () => {
    const name = nest.name('e2e-scoped');
    const instances = new Set<object>();
    const completedOn: [string, number][] = [];
    const allCompleted = deferred(5000, 'completions');

    @Processor(name, { concurrency: 2 })
    class ScopedProcessor {
      constructor(private readonly context: JobContext) {}

      @Process()
      run(job: Job) {
        instances.add(this);
        return { sameJob: this.context.job === job, serial: this.context.serial };
      }

      @OnJobCompleted()
      done(job: Job) {
        completedOn.push([job.id!, this.context.serial]);
        if (completedOn.length === 3) allCompleted.resolve();
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [JobContext, ScopedProcessor],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'x', data: { n } })));
    await allCompleted.promise;

    expect(instances.size).toBe(3);
    const results = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id!))!.returnvalue));
    expect(results.every((r) => r.sameJob)).toBe(true);
    expect(new Set(results.map((r) => r.serial)).size).toBe(3);
    // each completion ran on the instance that processed the job
    for (const [jobId, serial] of completedOn) {
      expect(results[jobs.findIndex((j) => j.id === jobId)].serial).toBe(serial);
    }
  });

  it('resolves a transient processor (and its transient dependency) afresh for every job', async () => {
    const name = nest.name('e2e-transient');
    const processors = new Set<object>();
    const pads = new Set<Scratchpad>();

    @Injectable({ scope: Scope.TRANSIENT })
    @Processor(name)
    class TransientProcessor {
      constructor(private readonly pad: Scratchpad) {}
      @Process()
      run(job: Job) {
        this.pad.notes.push(job.id!);
        processors.add(this);
        pads.add(this.pad);
        return this.pad.notes.length;
      }
    }

    const booted = await nest.boot({
      imports: [QueueModule.forRoot({ connection: redisOptions() }), QueueModule.registerQueue({ name })],
      providers: [Scratchpad, TransientProcessor],
    });
    const queue = booted.app.get<Queue>(getQueueToken(name));
    const completed = times(booted.app.get(WorkerRegistry).get(name), 'completed', 2);
    await queue.addBulk([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    const done = await completed;
    expect(done.map(([, result]) => result)).toEqual([1, 1]);
    expect(processors.size).toBe(2);
    expect(pads.size).toBe(2);
  });
});
