import type { AppJobScheduler, JobSchedulerRepeatOptions, JobSchedulerUpdateResult } from '@bull-board/api/dist/types.js';
import type { Job, JobSchedulerJson, Queue } from '../engine/index.js';
import { boardCall } from './board-errors.js';

/** A scheduler as the board lists it (it adds the queue's name itself). */
export type SchedulerView = Omit<AppJobScheduler, 'queueName'>;

type AnyQueue = Queue<any, any, any, any, any, any, any, any>;

/**
 * The id of a scheduler's iteration due at `millis` (BullMQ 6's layout, wire-format §7.12): the
 * scheduler keeps exactly one such job pending, created when the previous one started.
 */
export function iterationJobId(schedulerId: string, millis: number): string {
  return `repeat:${schedulerId}:${millis}`;
}

/** Keys whose value is undefined left out: the board's schema has optional fields, not undefined ones. */
function defined<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}

/**
 * What the board shows of one scheduler. Its runs are read off the pending iteration: that job was
 * created the moment the previous run started (so its timestamp is when that was), unless the
 * iteration count says it is still the first one, which the upsert made. Only an interval schedule
 * names its previous run (one `every` before the next); a cron one would need the pattern run
 * backwards.
 */
export async function schedulerView(queue: AnyQueue, scheduler: JobSchedulerJson): Promise<SchedulerView> {
  const id = scheduler.key;
  const pending = scheduler.next === undefined ? undefined : await queue.getJob(iterationJobId(id, scheduler.next));
  const hasRun = pending !== undefined && (scheduler.iterationCount ?? 0) > 1;
  let lastRunJobId: string | undefined;
  if (hasRun && scheduler.every !== undefined && scheduler.next !== undefined) {
    const previousId = iterationJobId(id, scheduler.next - scheduler.every);
    if (await queue.getJob(previousId)) lastRunJobId = previousId;
  }
  const template =
    scheduler.template && defined({ data: scheduler.template.data, opts: scheduler.template.opts as Record<string, unknown> | undefined });
  return defined({
    id,
    name: scheduler.name,
    pattern: scheduler.pattern,
    every: scheduler.every,
    tz: scheduler.tz,
    limit: scheduler.limit,
    startDate: scheduler.startDate,
    endDate: scheduler.endDate,
    next: scheduler.next,
    nextRunJobId: pending?.id,
    lastRun: hasRun ? pending.timestamp : undefined,
    lastRunJobId,
    iterationCount: scheduler.iterationCount,
    template,
  });
}

/** Every scheduler of the queue, latest next run first (there are rarely many: the board does not page them). */
export async function listSchedulers(queue: AnyQueue): Promise<SchedulerView[]> {
  const schedulers = await boardCall(() => queue.getJobSchedulers());
  return Promise.all(schedulers.map((scheduler) => schedulerView(queue, scheduler)));
}

/** The scheduler whose pending iteration `job` is, if it is one: removing it would stop the schedule. */
export async function armedSchedulerOf(queue: AnyQueue, job: { id?: string; repeatJobKey?: string }): Promise<string | null> {
  const schedulerId = job.repeatJobKey;
  if (!schedulerId || !job.id) return null;
  // a BullMQ 5 repeatable key is refused by the scheduler getters: such a job belongs to no scheduler
  const scheduler = await queue.getJobScheduler(schedulerId).catch(() => undefined);
  if (scheduler?.next === undefined) return null;
  return job.id === iterationJobId(schedulerId, scheduler.next) ? schedulerId : null;
}

/**
 * Gives a scheduler a new schedule and keeps what it produces (name, data, options) as it was.
 * A schedule Conveyor refuses (a bad pattern or time zone) is the board's 'invalid-schedule'.
 */
export async function updateSchedule(queue: AnyQueue, id: string, repeat: JobSchedulerRepeatOptions): Promise<JobSchedulerUpdateResult> {
  const scheduler = await boardCall(() => queue.getJobScheduler(id));
  if (!scheduler) return 'not-found';
  try {
    await queue.upsertJobScheduler(id, repeat, { name: scheduler.name, data: scheduler.template?.data, opts: scheduler.template?.opts });
  } catch (err) {
    if (err instanceof Error && err.name === 'ConveyorValidationError') return 'invalid-schedule';
    throw err;
  }
  return 'updated';
}

/** Adds one job from the scheduler's template now, as a plain job: the schedule is left alone. */
export async function runSchedulerNow(queue: AnyQueue, id: string): Promise<Job | 'not-found'> {
  const scheduler = await boardCall(() => queue.getJobScheduler(id));
  if (!scheduler) return 'not-found';
  return boardCall(() => queue.add(scheduler.name, scheduler.template?.data ?? {}, scheduler.template?.opts ?? {}));
}
