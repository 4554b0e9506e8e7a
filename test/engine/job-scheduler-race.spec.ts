// Several workers in separate processes race for one `every` scheduler's iterations: each
// iteration is taken and processed exactly once, and each taken iteration creates exactly one
// successor (iteration counts 1..N, no duplicates, no gaps).
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Queue } from '../../lib/index.js';
import { once } from '../support/events.js';
import { connection, REDIS_URL } from '../support/redis.js';
import { until } from '../interop/support.js';
import { Scope } from './queue-test-support.js';

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

/** Worker processes whose stdout reports are gathered in one list. */
class Children extends EventEmitter {
  readonly reports: Report[] = [];
  private readonly procs: ChildProcess[] = [];
  private stderr = '';

  start(count: number, env: Record<string, string>): void {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, [FIXTURE], {
        env: { ...process.env, NODE_OPTIONS: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.procs.push(child);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        let report: Report;
        try {
          report = JSON.parse(line) as Report;
        } catch {
          return;
        }
        this.reports.push(report);
        this.emit(report.type, report);
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        this.stderr += chunk.toString();
      });
    }
  }

  get errors(): string {
    return this.stderr.slice(-2000);
  }

  /** SIGKILL each child by its pid and wait until it is gone. */
  async killAll(): Promise<void> {
    await Promise.all(
      this.procs.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGKILL');
        await gone;
      }),
    );
  }
}

describe('job scheduler iterations with workers in several processes', () => {
  let scope: Scope;
  let children: Children;

  beforeEach(() => {
    scope = new Scope();
    children = new Children();
  });
  afterEach(async () => {
    try {
      await children.killAll();
    } finally {
      await scope.close();
    }
  });

  it(`${PROCESSES} processes: every iteration processed exactly once, one successor each`, async () => {
    expect(existsSync(BUILT_ENGINE)).toBe(true);
    const name = scope.name('sched-race');
    const queue = scope.track(new Queue(name, { connection: connection() }));
    children.start(PROCESSES, { REDIS_URL, QUEUE: name, CONCURRENCY: '2' });
    let ready = 0;
    await once(children, 'ready', 30_000, () => ++ready === PROCESSES).catch((err: Error) => {
      throw new Error(`${err.message}; stderr: ${children.errors}`);
    });

    const first = await queue.upsertJobScheduler('race', { every: EVERY }, { name: 'tick' });
    const m0 = Number(first!.id!.split(':').pop());
    const jobs = () => children.reports.filter((r) => r.type === 'job');
    if (jobs().length < ITERATIONS) await once(children, 'job', 20_000, () => jobs().length >= ITERATIONS);

    // stop the schedule, then let whatever was already due run out
    await queue.removeJobScheduler('race');
    const r = scope.redis;
    const pendingOf = async () => {
      const [wait, active, delayed] = await Promise.all([r.lrange(`bull:${name}:wait`, 0, -1), r.lrange(`bull:${name}:active`, 0, -1), r.zrange(`bull:${name}:delayed`, 0, -1)]);
      return [...wait, ...active, ...delayed];
    };
    await until('no iteration left to run', pendingOf, (ids) => ids.length === 0, 10_000);
    const completed = await r.zrange(`bull:${name}:completed`, 0, -1);
    await until('a report for every completed iteration', async () => jobs().length, (n) => n >= completed.length, 10_000);

    const reported = jobs();
    const ids = reported.map((j) => j.jobId!);
    expect(children.reports.filter((x) => x.type === 'error')).toEqual([]);
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
