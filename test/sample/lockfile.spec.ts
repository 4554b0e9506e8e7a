import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error a plain ES module script without types
import { lockRootDifferences } from '../../scripts/ensure-deps.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));

describe('package-lock.json and the install step of `npm run sample` / `npm test`', () => {
  it('has the root entry npm writes from package.json, so an install has nothing to rewrite', () => {
    // a lock whose root entry lacked the peerDependencies once made `npm run sample` change it
    expect(lockRootDifferences(read('package.json'), read('package-lock.json'))).toEqual([]);
  });

  it('names what differs when package.json changed without the lock', () => {
    const manifest = { ...read('package.json'), peerDependencies: { rxjs: '^7.1.0' } };
    expect(lockRootDifferences(manifest, read('package-lock.json'))).toEqual(['peerDependencies']);
  });

  describe('scripts/ensure-deps.mjs --check', () => {
    let dir: string;
    const lock = {
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app' },
        'node_modules/a': { version: '1.0.0' },
        'node_modules/b-darwin': { version: '1.0.0', optional: true },
      },
    };

    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-deps-'));
      mkdirSync(path.join(dir, 'scripts'));
      cpSync(path.join(root, 'scripts/ensure-deps.mjs'), path.join(dir, 'scripts/ensure-deps.mjs'));
      writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify(lock));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const installed = (packages: object) => {
      mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
      writeFileSync(path.join(dir, 'node_modules/.package-lock.json'), JSON.stringify({ packages }));
    };
    const check = () => spawnSync(process.execPath, ['scripts/ensure-deps.mjs', '--check'], { cwd: dir, encoding: 'utf8' });

    it('installs nothing when node_modules holds what the lock lists, however new the lock file is', () => {
      installed({ 'node_modules/a': { version: '1.0.0' } });
      // a checkout touches the lock; that alone once started an install that rewrote it
      const later = new Date(Date.now() + 60_000);
      utimesSync(path.join(dir, 'package-lock.json'), later, later);
      expect(check()).toMatchObject({ status: 0, stdout: 'node_modules matches package-lock.json\n' });
    });

    it('installs when node_modules is missing or holds another version', () => {
      expect(check()).toMatchObject({ status: 1, stdout: 'install needed: node_modules is missing\n' });
      installed({ 'node_modules/a': { version: '0.9.0' } });
      expect(check()).toMatchObject({ status: 1, stdout: 'install needed: node_modules/a is 0.9.0, the lock wants 1.0.0\n' });
    });
  });

  it('installs with npm ci, which never writes package-lock.json', () => {
    const script = readFileSync(path.join(root, 'scripts/ensure-deps.mjs'), 'utf8');
    expect(script).toMatch(/spawnSync\('npm', \['ci'/);
    expect(script).not.toMatch(/'install'/);
    // and the checkout's own node_modules is what the lock lists (else `npm test` would install)
    expect(execFileSync(process.execPath, ['scripts/ensure-deps.mjs', '--check'], { cwd: root, encoding: 'utf8' })).toBe(
      'node_modules matches package-lock.json\n',
    );
  });
});
