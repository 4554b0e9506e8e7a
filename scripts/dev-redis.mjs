// Finds a Redis for the tests and the sample: REDIS_URL (default redis://127.0.0.1:6379) when it
// answers, else a throwaway redis-server from the PATH on a free port, else one clear error.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** Resolves true when something at `url` answers PING with PONG (or NOAUTH) within `timeoutMs`. */
export function redisAnswers(url, timeoutMs = 1000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (buf) => done(/^(\+PONG|-NOAUTH)/.test(buf.toString())));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Returns `{ url, stop, started }`. `stop()` ends a redis-server this call started (and removes its
 * directory); for an existing Redis it does nothing. `ownProcessGroup`: start redis-server in a
 * process group of its own, so a Ctrl+C in the terminal (which signals the whole foreground group)
 * leaves it to `stop()` (the sample needs Redis until its graceful shutdown is over; the tests
 * rather have it die with them).
 */
export async function ensureRedis({ log = () => {}, ownProcessGroup = false } = {}) {
  const url = process.env.REDIS_URL || DEFAULT_URL;
  if (await redisAnswers(url)) return { url, stop: async () => {}, started: false };

  if (!hasRedisServer()) {
    throw new Error(
      `No Redis answers at ${new URL(url).host} and redis-server is not on the PATH: ` +
        'install Redis >= 6.2 (e.g. `apt-get install redis-server`) or set REDIS_URL to a running one.',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore', detached: ownProcessGroup },
  );
  const ownUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(ownUrl, 200)) break;
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await redisAnswers(ownUrl, 500))) {
    child.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer within 5 s`);
  }
  log(`No Redis at ${new URL(url).host}; started a throwaway redis-server on port ${port}.`);
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: ownUrl, stop, started: true, pid: child.pid };
}
