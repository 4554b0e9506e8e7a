// The system's Chromium for the browser tests (test/browser/), and installing it when npm test
// finds none: Playwright's own browser downloads need a network this project may not have.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where Debian and Ubuntu put Chromium (or Chrome); CHROMIUM_PATH names another. */
export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/** The Chromium to drive, or undefined when there is none (CHROMIUM_PATH wins when set). */
export function findChromium(env = process.env, paths = CHROMIUM_PATHS) {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  return paths.find((file) => existsSync(file));
}

function hasAptGet() {
  return spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

/**
 * Run by `npm test` before the suites: installs Debian's `chromium` with apt-get when none is found
 * and this process may (root, apt-get present); otherwise says once what the browser tests need.
 * Never fails the run itself: a browser test without Chromium fails, saying why.
 */
function ensureChromium() {
  if (findChromium()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !hasAptGet()) {
    console.warn(
      'chromium not found: the browser tests (test/browser/) will fail; install it (apt-get install chromium) or set CHROMIUM_PATH',
    );
    return;
  }
  console.log('chromium not found: installing it with apt-get for the browser tests (test/browser/)');
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'], { stdio: 'ignore', env });
  } catch (err) {
    console.warn(
      `warning: apt-get could not install chromium (${err instanceof Error ? err.message.split('\n')[0] : err}); the browser tests will fail`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) ensureChromium();
