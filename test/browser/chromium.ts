import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_PATHS } from '../../scripts/chromium.mjs';

/**
 * The system's Chromium. Missing, it fails the test that asked, saying how to install it: the
 * browser tests are part of the suite (npm test installs Chromium when it may), never skipped without a word.
 * Playwright's own browser downloads are not used: they need a network this project may not have.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env, knownPaths: readonly string[] = CHROMIUM_PATHS): string {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is "${env.CHROMIUM_PATH}", but there is no file there`);
    return env.CHROMIUM_PATH;
  }
  const found = knownPaths.find((file) => existsSync(file));
  if (!found) {
    throw new Error(
      `Chromium not found (looked for ${knownPaths.join(', ')}): the browser tests need it. ` +
        'Install it with `apt-get install -y chromium` (npm test does so when run as root), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  return found;
}

/** Headless Chromium; Playwright passes --no-sandbox itself (needed as root), unless asked for the sandbox. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, timeout: 30_000 });
}
