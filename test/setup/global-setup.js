import { ensureRedis } from '../../scripts/dev-redis.mjs';

// Runs once before all suites. Test workers inherit process.env, so REDIS_URL reaches every test.
export default async function globalSetup() {
  const redis = await ensureRedis({ log: (m) => process.stderr.write(`\n${m}\n`) });
  process.env.REDIS_URL = redis.url;
  globalThis.__conveyorRedis = redis;
}
