import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_URL, uniqueName } from '../support/redis.js';

// The packed package, installed into a fresh app, finds its Lua scripts and runs a job, from ESM
// and from CommonJS. Needs dist/ (`npm test` builds it before Jest runs).
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the packed package', () => {
  let dir: string;
  let app: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-pack-'));
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    app = path.join(dir, 'app');
    const installed = path.join(app, 'node_modules', 'nestjs-conveyor');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', path.join(dir, filename), '-C', installed, '--strip-components=1']);
    // the app's other dependencies: the package's own and its required peers, from this checkout
    const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
    const optional = Object.keys(pkg.peerDependenciesMeta ?? {}).filter((n) => pkg.peerDependenciesMeta[n].optional);
    const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optional.includes(n))];
    for (const dep of deps) {
      const link = path.join(app, 'node_modules', dep);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(root, 'node_modules', dep), link, 'dir');
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships dist and the Lua scripts, and nothing from test/ or lib/', () => {
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: path.join(app, 'node_modules', 'nestjs-conveyor'), encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(files).toContain('./dist/index.js');
    expect(files).toContain('./lua/moveToActive.lua');
    expect(files).toContain('./lua/includes/fetchJobs.lua');
    // forked by sandboxed processors at run time; tsc does not copy it, the build script does
    expect(files).toContain('./dist/engine/sandbox/child-entry.mjs');
    expect(files.filter((f) => f.startsWith('./lib/') || f.startsWith('./test/'))).toEqual([]);
  });

  const program = (imports: string) => `${imports}
const connection = process.env.REDIS_URL;
const name = process.env.QUEUE;
(async () => {
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, async (job) => job.data.n * 2, { connection });
  const done = new Promise((resolve) => worker.on('completed', (_job, result) => resolve(result)));
  await queue.add('double', { n: 21 });
  console.log(JSON.stringify({ result: await done }));
  await worker.close();
  await queue.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

  it.each([
    ['an ES module app', 'main.mjs', "import { Queue, Worker } from 'nestjs-conveyor';"],
    ['a CommonJS app', 'main.cjs', "const { Queue, Worker } = require('nestjs-conveyor');"],
  ])('runs a job from %s', (_label, file, imports) => {
    writeFileSync(path.join(app, file), program(imports));
    const out = execFileSync(process.execPath, [file], {
      cwd: app,
      env: { ...process.env, REDIS_URL, QUEUE: uniqueName('pack'), NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ result: 42 });
  });
});
