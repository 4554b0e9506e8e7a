// @ts-check
// The benchmark's own throwaway redis-server: nothing else talks to it, so INFO commandstats and
// used_memory deltas belong to the engine being measured.
import { RedisServer } from '../scripts/redis-server.mjs';

/** @typedef {{ url: string, pid: number | undefined, stop(): Promise<void> }} OwnRedis */

/**
 * Starts `redis-server` from the PATH on a free loopback port, without persistence, in its own
 * temporary directory. `stop()` ends it and removes the directory.
 * @returns {Promise<OwnRedis>}
 */
export async function startRedisServer() {
  // a crash of the harness must not leave the server running
  const server = new RedisServer({ killOnExit: true });
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n(install Redis >= 6.2 or pass --redis-url)`, { cause: err });
  }
  return {
    url: server.url,
    pid: server.pid,
    stop: async () => {
      await server.stop();
      await server.close();
    },
  };
}
