// Several workers in separate processes race for one `every` scheduler's iterations: each
// iteration is taken and processed exactly once, and each taken iteration creates exactly one
// successor (iteration counts 1..N, no duplicates, no gaps).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue } from '../../lib/index.js';
import { ChildScript } from '../support/child-script.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { scopePerTest } from '../support/scope.js';
import { until } from '../support/wait.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduler-worker.mjs', import.meta.url));
const BUILT_ENGINE = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const PROCESSES = 4;
const EVERY = 250;
const ITERATIONS = 12;

interface Report {
  type: string;
  jobId?: string;
  count?: number;
  pid?: number;
  message?: string;
}

describe('job scheduler iterations with workers in several processes', () => {
  const scope = scopePerTest();

  it(`${PROCESSES} processes: every iteration processed exactly once, one successor each`, async () => {
    expect(existsSync(BUILT_ENGINE)).toBe(true);
    const name = scope.name('sched-race');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    const children = Array.from({ length: PROCESSES }, () =>
      scope.track(new ChildScript(FIXTURE, { REDIS_URL, QUEUE: name, CONCURRENCY: '2' })),
    );
    await Promise.all(children.map((child) => child.message('ready', 30_000)));

    const first = await queue.upsertJobScheduler('race', { every: EVERY }, { name: 'tick' });
    const m0 = Number(first!.id!.split(':').pop());
    const reports = (type: string) => children.flatMap((child) => child.received<Report>(type));
    const jobs = () => reports('job');
    await until(
      `${ITERATIONS} iterations processed`,
      () => jobs().length,
      (n) => n >= ITERATIONS,
      20_000,
    );

    // stop the schedule, then let whatever was already due run out
    await queue.removeJobScheduler('race');
    const r = scope.redis;
    const pendingOf = async () => {
      const [wait, active, delayed] = await Promise.all([
        r.lrange(`bull:${name}:wait`, 0, -1),
        r.lrange(`bull:${name}:active`, 0, -1),
        r.zrange(`bull:${name}:delayed`, 0, -1),
      ]);
      return [...wait, ...active, ...delayed];
    };
    await until('no iteration left to run', pendingOf, (ids) => ids.length === 0, 10_000);
    const completed = await r.zrange(`bull:${name}:completed`, 0, -1);
    await until(
      'a report for every completed iteration',
      async () => jobs().length,
      (n) => n >= completed.length,
      10_000,
    );

    const reported = jobs();
    const ids = reported.map((j) => j.jobId!);
    expect(reports('error')).toEqual([]);
    // exactly once: no id reported twice, and every processed iteration was reported
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...completed].sort());
    expect(ids.length).toBeGreaterThanOrEqual(ITERATIONS);
    // one successor per iteration: counts 1..N without gaps, times on the every grid, increasing
    const byCount = [...reported].sort((a, b) => a.count! - b.count!);
    expect(byCount.map((j) => j.count)).toEqual(byCount.map((_, i) => i + 1));
    const millis = byCount.map((j) => Number(j.jobId!.split(':').pop()));
    expect(millis[0]).toBe(m0);
    for (let i = 1; i < millis.length; i++) {
      const step = millis[i] - millis[i - 1];
      expect(step).toBeGreaterThan(0);
      expect(step % EVERY).toBe(0);
    }
    expect(await r.exists(`bull:${name}:repeat:race`, `bull:${name}:repeat`)).toBe(0);
    // the iterations really were shared out between the processes
    expect(new Set(reported.map((j) => j.pid)).size).toBeGreaterThan(1);
  }, 60_000);
});
