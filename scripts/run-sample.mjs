// `npm run sample` (after the build): finds or starts Redis (see dev-redis.mjs), runs the compiled
// sample with REDIS_URL set and waits for it; stops a Redis it started once the sample has exited.
//
// Signals: `npm run sample` execs this script, so npm's forwarded SIGINT/SIGTERM (what a process
// manager sends to the pid it started) arrive here and are passed on; the sample shuts down
// gracefully and this script exits with its code. Should whoever started this script die without
// a signal (npm killed with SIGKILL), the sample is stopped all the same rather than left behind.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureRedis } from './dev-redis.mjs';

const entry = fileURLToPath(new URL('../sample/dist/main.js', import.meta.url));
const log = (message) => console.log(`[sample] ${message}`);

let redis;
try {
  // its own process group: Ctrl+C must not stop Redis while the sample still hands jobs back
  redis = await ensureRedis({ log, ownProcessGroup: true });
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

const parent = process.ppid;
const orphanCheck = setInterval(() => {
  if (process.ppid !== parent) {
    log(`the process that started this one (pid ${parent}) is gone: stopping the sample`);
    clearInterval(orphanCheck);
    child.kill('SIGTERM');
  }
}, 1000);

child.on('exit', async (code, signal) => {
  clearInterval(orphanCheck);
  if (redis.started) {
    await redis.stop();
    log('stopped the throwaway redis-server');
  }
  process.exit(code ?? (signal ? 1 : 0));
});
