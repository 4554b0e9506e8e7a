// `npm run sample`: finds or starts Redis (see dev-redis.mjs), then runs the compiled sample with
// REDIS_URL set, forwarding SIGINT/SIGTERM so the sample shuts down gracefully.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureRedis } from './dev-redis.mjs';

const entry = fileURLToPath(new URL('../sample/dist/main.js', import.meta.url));

let redis;
try {
  redis = await ensureRedis({ log: (m) => console.log(`[sample] ${m}`) });
} catch (err) {
  console.error(`[sample] ${err.message}`);
  process.exit(1);
}

const child = spawn(process.execPath, [entry, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, REDIS_URL: redis.url },
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', async (code, signal) => {
  await redis.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
