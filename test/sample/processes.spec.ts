import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import { Queue } from 'nestjs-conveyor';
import { freePort } from '../../scripts/redis-server.mjs';
import { connection, rawClient, uniqueName } from '../support/redis.js';
import { BaseScope, closedAfterAll } from '../support/scope.js';
import {
  SampleProcess,
  alive,
  buildSample,
  copyCheckout,
  gone,
  npmRunSample,
  runBuiltSample,
  sampleEnv,
  workingTreeChanges,
} from './sample-process.js';

// The sample as people and process managers run it: `npm run sample` in a copy of the checkout,
// real processes, real signals, real ports.
const QUEUES = ['emails', 'reports'];

describe('the sample, run as processes', () => {
  let copy: ReturnType<typeof copyCheckout>;
  const started: SampleProcess[] = [];
  // every prefix a test ran the sample under: its queues' keys go after the last test
  const queues = closedAfterAll(new BaseScope());

  beforeAll(() => {
    copy = copyCheckout();
    // node_modules is linked to the checkout's: an install in the copy must never start
    execFileSync(process.execPath, ['scripts/ensure-deps.mjs', '--check'], { cwd: copy.dir, stdio: 'ignore' });
  }, 30_000);

  afterEach(async () => {
    // whatever a failed test left running: npm, the runner, and the sample it started
    for (const process of started.splice(0)) {
      const pids = [process.child.pid, ...[...process.output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]))];
      for (const pid of pids) if (pid && alive(pid)) globalThis.process.kill(pid, 'SIGKILL');
    }
  });

  afterAll(() => copy?.remove());

  function prefix(): string {
    const name = uniqueName('sample-proc');
    for (const queue of QUEUES) queues.removeKeysOf(queue, name);
    return name;
  }

  function track(process: SampleProcess): SampleProcess {
    started.push(process);
    return process;
  }

  async function post(port: number, path: string, body: object): Promise<{ queue: string; id: string }> {
    const response = await fetch(`http://localhost:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { queue: string; id: string };
  }

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s sent to the npm process stops the whole app gracefully, and the run leaves the working tree clean',
    async (signal) => {
      const keyPrefix = prefix();
      const npm = track(npmRunSample(copy.dir, [], sampleEnv({ PORT: '0', QUEUE_PREFIX: keyPrefix })));
      // it says which Redis and which prefix it uses
      const [, redisShown, prefixShown, pid] = await npm.waitFor(/Redis (\S+), key prefix "([^"]+)" \(QUEUE_PREFIX\), pid (\d+)/, 90_000);
      expect(redisShown).toMatch(/^redis:\/\/[^/]+:\d+$/);
      expect(prefixShown).toBe(keyPrefix);
      const [, port] = await npm.waitFor(/listening on http:\/\/localhost:(\d+)/);

      // a report takes about 500 ms: the signal comes while it runs, and it is let finish
      const report = await post(Number(port), '/jobs/report', { title: 'during shutdown' });
      await npm.waitFor(new RegExp(`reports#${report.id} active`));
      process.kill(npm.child.pid!, signal);

      expect(await npm.exit(30_000)).toEqual({ code: 0, signal: null });
      expect(await gone(Number(pid), 5_000)).toBe(true);
      for (const line of [
        `${signal}: shutting down; active jobs get up to 10000 ms to finish`,
        /worker of "reports" stops fetching; \d+ active jobs? to finish/,
        'worker of "reports" closed',
        'worker of "emails" closed',
        'queues, event listeners, Redis connections and HTTP server closed: stopped',
      ]) {
        expect(npm.output).toMatch(line);
      }

      const queue = new Queue('reports', { connection: connection(), prefix: keyPrefix });
      const client = rawClient();
      try {
        expect(await (await queue.getJob(report.id))!.getState()).toBe('completed');
        expect(await client.llen(`${keyPrefix}:reports:active`)).toBe(0);
      } finally {
        await queue.close();
        client.disconnect();
      }
      // the port is free again
      await new Promise<void>((resolve, reject) => {
        const server = net.createServer().once('error', reject);
        server.listen(Number(port), () => server.close(() => resolve()));
      });
      expect(workingTreeChanges(copy.dir)).toBe('');
    },
    120_000,
  );

  it('stops the sample when whoever started the runner dies without a signal (npm killed with SIGKILL)', async () => {
    buildSample(copy.dir);
    // dash keeps running as the runner's parent here, as npm would without exec
    const shell = track(
      new SampleProcess(
        spawn('sh', ['-c', 'node scripts/run-sample.mjs'], { cwd: copy.dir, env: sampleEnv({ PORT: '0', QUEUE_PREFIX: prefix() }) }),
      ),
    );
    const [, pid] = await shell.waitFor(/pid (\d+)/);
    await shell.waitFor(/listening on/);
    shell.child.kill('SIGKILL');
    expect(await gone(Number(pid), 15_000)).toBe(true);
    expect(shell.output).toContain('is gone: stopping the sample');
    expect(shell.output).toContain('queues, event listeners, Redis connections and HTTP server closed: stopped');
  }, 60_000);

  it('runs a worker-only process beside the API from the same environment, the worker serving no HTTP', async () => {
    buildSample(copy.dir);
    const env = sampleEnv({ PORT: String(await freePort()), QUEUE_PREFIX: prefix() });
    const api = track(runBuiltSample(copy.dir, ['--role=api'], env));
    const [, port] = await api.waitFor(/listening on http:\/\/localhost:(\d+)/);
    const worker = track(runBuiltSample(copy.dir, ['--role=worker'], env));
    await worker.waitFor(/workers only, no HTTP/);

    const email = await post(Number(port), '/jobs/email', { to: 'ada@example.com' });
    // the API process runs no worker: the job completes in the worker process
    await worker.waitFor(new RegExp(`emails#${email.id} completed`));
    const view = (await (await fetch(`http://localhost:${port}/jobs/emails/${email.id}`)).json()) as { state: string };
    expect(view.state).toBe('completed');
    // the API serves the board, built and run from dist/ as a person runs it
    const board = await fetch(`http://localhost:${port}/queues/api/queues`);
    expect(board.status).toBe(200);
    expect(((await board.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort()).toEqual(QUEUES);
    expect(worker.output).not.toMatch(/EADDRINUSE|could not start/);
    expect(alive(worker.child.pid!)).toBe(true);

    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await worker.exit()).toEqual({ code: 0, signal: null });
    expect(await api.exit()).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('stops before taking a job when its port is taken, saying which', async () => {
    buildSample(copy.dir);
    const keyPrefix = prefix();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const queue = new Queue('emails', { connection: connection(), prefix: keyPrefix });
    try {
      const waiting = await queue.add('welcome', { to: 'ada@example.com' });
      const app = track(runBuiltSample(copy.dir, [], sampleEnv({ PORT: String(port), QUEUE_PREFIX: keyPrefix })));
      expect((await app.exit()).code).toBe(1);
      expect(app.output).toContain(`port ${port} is in use`);
      expect(await waiting.getState()).toBe('waiting');
    } finally {
      await queue.close();
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);
});
