// Engine-only demo (no Nest): adds jobs of a few kinds, processes them with one worker and prints
// their lifecycle, then exits once every job has finished. Run: node sample/dist/engine-demo.js
import { Queue, Worker, UnrecoverableError, type Job } from 'nestjs-conveyor';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queueName = `conveyor-demo-${process.pid}`;

const queue = new Queue(queueName, { connection });
const worker = new Worker(
  queueName,
  async (job: Job) => {
    switch (job.name) {
      case 'flaky':
        if (job.attemptsMade < 2) throw new Error(`transient failure on attempt ${job.attemptsMade + 1}`);
        return 'succeeded on the third attempt';
      case 'doomed':
        throw new UnrecoverableError('this job is not worth retrying');
      default:
        await new Promise((r) => setTimeout(r, 100));
        return { processed: job.data };
    }
  },
  { connection, concurrency: 2 },
);

const started = Date.now();
const log = (job: Job | string, what: string) => {
  const id = typeof job === 'string' ? job : `${job.name}#${job.id}`;
  console.log(`${String(Date.now() - started).padStart(5)} ms  ${id.padEnd(22)} ${what}`);
};
worker.on('active', (job) => log(job, `active (attempt ${job.attemptsMade + 1})`));
worker.on('completed', (job, result) => log(job, `completed -> ${JSON.stringify(result)}`));
// as in bullmq, `job` is undefined for a stalled job that failed and was removed at once
worker.on('failed', (job, err) => log(job ?? 'a removed job', `failed: ${err.message}${job?.finishedOn ? '' : ' (will retry)'}`));
worker.on('error', (err) => console.error('worker error:', err.message));

// Logged as each add resolves, so the output reads in order.
const added = async (promise: Promise<Job | Job[]>) => {
  const result = await promise;
  for (const job of [result].flat()) log(job, job.opts.delay ? `added (delay ${job.opts.delay} ms)` : 'added');
  return [result].flat();
};
const jobs = [
  ...(await added(queue.add('email', { to: 'ada@example.com' }))),
  // prioritized jobs run after the plain waiting ones (BullMQ's rule), lower number first
  ...(await added(queue.add('low', { priority: 10 }, { priority: 10 }))),
  ...(await added(queue.add('high', { priority: 1 }, { priority: 1 }))),
  ...(await added(queue.add('later', { note: 'delayed by 500 ms' }, { delay: 500 }))),
  ...(await added(queue.add('flaky', {}, { attempts: 3, backoff: { type: 'exponential', delay: 100 } }))),
  ...(await added(queue.add('doomed', {}, { attempts: 5 }))),
  ...(await added(
    queue.addBulk([
      { name: 'report', data: { n: 1 } },
      { name: 'report', data: { n: 2 } },
    ]),
  )),
];

let finished = 0;
const settled = new Promise<void>((resolve) => {
  const tick = (job: Job) => {
    if (job.finishedOn && ++finished === jobs.length) resolve();
  };
  worker.on('completed', tick);
  worker.on('failed', tick);
});

const shutdown = async () => {
  await worker.close();
  await queue.close();
};
process.once('SIGINT', () => void shutdown().then(() => process.exit(130)));
process.once('SIGTERM', () => void shutdown().then(() => process.exit(143)));

await settled;
console.log(`all ${jobs.length} jobs finished; removing the demo queue and closing`);
await worker.close();
// the queue name is this run's own: leave nothing behind in the Redis it borrowed
await queue.obliterate({ force: true });
await queue.close();
