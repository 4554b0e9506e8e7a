import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian and Ubuntu put Chromium (or Chrome); CHROMIUM_PATH names another. */
const KNOWN_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/**
 * The system's Chromium. Missing, it fails the test that asked, saying how to install it: the
 * browser tests are part of the suite (.ci/run installs Chromium), never skipped without a word.
 * Playwright's own browser downloads are not used: they need a network this project may not have.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env, knownPaths: readonly string[] = KNOWN_PATHS): string {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is "${env.CHROMIUM_PATH}", but there is no file there`);
    return env.CHROMIUM_PATH;
  }
  const found = knownPaths.find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      `Chromium not found (looked for ${knownPaths.join(', ')}): the browser tests need it. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does so), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  return found;
}

/** Headless Chromium; Playwright passes --no-sandbox itself (needed as root), unless asked for the sandbox. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, timeout: 30_000 });
}
