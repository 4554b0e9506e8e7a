// Lets the README's commands work on a fresh clone: when node_modules is missing or does not hold
// what package-lock.json lists, installs exactly that with `npm ci`; otherwise does nothing.
//
// Why `npm ci` and a comparison of contents: `npm install` rewrites package-lock.json whenever it
// differs from what npm would write (once, peerDependencies added to package.json by hand were
// missing from the lock's root entry), so `npm run sample` left the working tree changed; and
// comparing file times installed again after every checkout that touched the lock. `npm ci` never
// writes the lock: a lock out of step with package.json stops it with npm's own message.
//
//   node scripts/ensure-deps.mjs            install if needed
//   node scripts/ensure-deps.mjs --check    only say whether an install is needed (exit 1 if so)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

/** Fields of package.json that npm copies into the lock's root entry (`packages[""]`). */
const ROOT_FIELDS = [
  'name',
  'version',
  'license',
  'bin',
  'engines',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
];

/** Differences between package.json and the lock's root entry, by field name (empty: in step). */
export function lockRootDifferences(manifest, lock) {
  const root = lock.packages?.[''] ?? {};
  return ROOT_FIELDS.filter((field) => !isDeepStrictEqual(manifest[field], root[field]));
}

/**
 * Why node_modules does not match the lock, or undefined when it does. npm records what it
 * installed in node_modules/.package-lock.json; optional packages for other platforms are never
 * installed, so they are not looked for.
 */
export function installProblem(root) {
  const installedPath = path.join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(installedPath)) return 'node_modules is missing';
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const installed = JSON.parse(readFileSync(installedPath, 'utf8')).packages ?? {};
  for (const [location, entry] of Object.entries(lock.packages ?? {})) {
    if (location === '' || entry.optional || entry.link) continue;
    const found = installed[location];
    if (!found) return `${location} is not installed`;
    if (found.version !== entry.version) return `${location} is ${found.version}, the lock wants ${entry.version}`;
  }
  return undefined;
}

function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const problem = installProblem(root);
  if (process.argv.includes('--check')) {
    console.log(problem ? `install needed: ${problem}` : 'node_modules matches package-lock.json');
    process.exit(problem ? 1 : 0);
  }
  if (!problem) return;
  console.log(`[conveyor] ${problem}: installing the locked dependencies (npm ci) ...`);
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const stale = lockRootDifferences(manifest, lock);
    if (stale.length > 0) {
      console.error(
        `[conveyor] package-lock.json is out of step with package.json (${stale.join(', ')}): run \`npm install\` and commit package-lock.json.`,
      );
    }
    process.exit(result.status ?? 1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
