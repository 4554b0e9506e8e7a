// @ts-check
// The benchmark's own throwaway redis-server: nothing else talks to it, so INFO commandstats and
// used_memory deltas belong to the engine being measured.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisAnswers } from '../scripts/dev-redis.mjs';

/** @typedef {{ url: string, pid: number | undefined, stop(): Promise<void> }} OwnRedis */

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` from the PATH on a free loopback port, without persistence, in its own
 * temporary directory. `stop()` ends it and removes the directory.
 * @returns {Promise<OwnRedis>}
 */
export async function startRedisServer() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-bench-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (/** @type {Buffer} */ chunk) => {
    output = (output + chunk.toString()).slice(-2000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  /** @type {Error | undefined} */
  let spawnError;
  child.once('error', (err) => {
    spawnError = err;
  });
  // a crash of the harness must not leave the server running
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  for (let i = 0; i < 100; i++) {
    if (spawnError) {
      await stop();
      throw new Error(`could not start redis-server (${spawnError.message}); install Redis >= 6.2 or pass --redis-url`);
    }
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server exited with code ${child.exitCode} on port ${port}: ${output.trim()}`);
    }
    if (await redisAnswers(url, 200)) return { url, pid: child.pid, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`redis-server on port ${port} did not answer within 5 s: ${output.trim()}`);
}
