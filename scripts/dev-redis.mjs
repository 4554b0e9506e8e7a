// Finds a Redis for the tests and the sample: REDIS_URL (default redis://127.0.0.1:6379) when it
// answers, else a throwaway redis-server from the PATH on a free port, else one clear error.
import { missingRedisServer, redisAnswers, RedisServer } from './redis-server.mjs';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

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

  const missing = missingRedisServer();
  if (missing) {
    throw new Error(`No Redis answers at ${new URL(url).host} and ${missing} or set REDIS_URL to a running one.`);
  }
  const server = await RedisServer.start({ detached: ownProcessGroup });
  log(`No Redis at ${new URL(url).host}; started a throwaway redis-server on port ${server.port}.`);
  const stop = async () => {
    await server.stop(3000);
    await server.close();
  };
  return { url: server.url, stop, started: true, pid: server.pid };
}
