import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDIS_URL, uniqueName } from '../support/redis.js';

// The packed package, installed into fresh apps, finds its Lua scripts and runs jobs, from ESM and
// from CommonJS: an app with NestJS importing the root, and an app without any @nestjs/* package
// importing `nestjs-conveyor/engine`, installed by npm as docs/engine-only.md says (`omit=peer`:
// it fetches ioredis and cron-parser from the npm cache or registry). `nestjs-conveyor/bull-board`
// resolves and works in an app that has @bull-board/api (an optional peer), and the other entries
// never need it. Needs dist/ (`npm test` builds it before Jest runs).
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The Nest peers: the root needs them, the engine none. */
const NEST_PEERS = ['@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];

/** npm in `cwd`, without the settings of the npm process that may be running Jest. */
function npm(cwd: string, args: string[]): string {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd,
    env: { ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 180_000,
  });
}

/** The Nest packages in an app's node_modules. */
function nestPackagesIn(appDir: string): string[] {
  return readdirSync(path.join(appDir, 'node_modules')).filter((m) => m.startsWith('@nestjs') || m === 'reflect-metadata' || m === 'rxjs');
}

describe('the packed package', () => {
  let dir: string;
  let tarball: string;
  let app: string;
  let engineApp: string;
  let boardApp: string;
  let pkg: {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };

  /** An engine-only app as docs/engine-only.md sets one up: `omit=peer`, then `npm install`. */
  function npmInstall(name: string): string {
    const appDir = path.join(dir, name);
    mkdirSync(appDir);
    writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
    writeFileSync(path.join(appDir, '.npmrc'), 'omit=peer\n');
    npm(appDir, ['install', tarball]);
    return appDir;
  }

  /** An app folder with the unpacked package and `deps` linked from this checkout's node_modules. */
  function install(name: string, deps: string[]): string {
    const appDir = path.join(dir, name);
    const installed = path.join(appDir, 'node_modules', 'nestjs-conveyor');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dep of deps) {
      const link = path.join(appDir, 'node_modules', dep);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(root, 'node_modules', dep), link, 'dir');
    }
    return appDir;
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'conveyor-pack-'));
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    tarball = path.join(dir, filename);
    pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const dependencies = Object.keys(pkg.dependencies ?? {});
    // a Nest app has the Nest peers; an engine-only app has the package's own dependencies alone
    app = install('app', [...dependencies, ...NEST_PEERS]);
    engineApp = npmInstall('engine-app');
    // an engine app with a board: @bull-board/api, no NestJS
    boardApp = install('board-app', [...dependencies, '@bull-board/api']);
  }, 240_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships dist and the Lua scripts, and nothing from test/ or lib/', () => {
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: path.join(app, 'node_modules', 'nestjs-conveyor'), encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(files).toContain('./dist/index.js');
    expect(files).toContain('./dist/engine/index.js');
    expect(files).toContain('./dist/engine/index.d.ts');
    expect(files).toContain('./lua/moveToActive.lua');
    expect(files).toContain('./lua/includes/fetchJobs.lua');
    // forked by sandboxed processors at run time; tsc does not copy it, the build script does
    expect(files).toContain('./dist/engine/sandbox/child-entry.mjs');
    expect(files.filter((f) => f.startsWith('./lib/') || f.startsWith('./test/'))).toEqual([]);
  });

  it('declares the Nest peers required: the root, where bullmq users switch to, loads NestJS', () => {
    for (const peer of NEST_PEERS) {
      expect(pkg.peerDependencies?.[peer]).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[peer]?.optional).not.toBe(true);
    }
  });

  it('declares @bull-board/api an optional peer: only nestjs-conveyor/bull-board loads it', () => {
    expect(pkg.peerDependencies?.['@bull-board/api']).toBeDefined();
    expect(pkg.peerDependenciesMeta?.['@bull-board/api']?.optional).toBe(true);
  });

  const program = (imports: string, processor: string) => `${imports}
const connection = process.env.REDIS_URL;
const name = process.env.QUEUE;
(async () => {
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, ${processor}, { connection });
  const done = new Promise((resolve, reject) => {
    worker.on('completed', (_job, result) => resolve(result));
    worker.on('failed', (_job, err) => reject(err));
  });
  await queue.add('double', { n: 21 });
  console.log(JSON.stringify({ result: await done }));
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

  function run(cwd: string, file: string): { status: number | null; stdout: string; stderr: string } {
    const out = spawnSync(process.execPath, [file], {
      cwd,
      env: { ...process.env, REDIS_URL, QUEUE: uniqueName('pack'), NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  }

  function lastJson(stdout: string): unknown {
    return JSON.parse(stdout.trim().split('\n').pop()!);
  }

  /** Type-checks `typed.ts` in an installed app as its author's strict tsconfig would: tsc's output, '' when clean. */
  function typeCheck(appDir: string): string {
    const compilerOptions = {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
    };
    writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', appDir], {
      encoding: 'utf8',
    });
    return tsc.status === 0 ? tsc.stdout + tsc.stderr : `exit ${tsc.status}: ${tsc.stdout}${tsc.stderr}`;
  }

  const inline = 'async (job) => job.data.n * 2';

  it('the Nest app has no @bull-board/api, and the root entry works without it (below)', () => {
    expect(existsSync(path.join(app, 'node_modules', '@bull-board'))).toBe(false);
  });

  it.each([
    ['an ES module app', 'main.mjs', "import { Queue, Worker } from 'nestjs-conveyor';"],
    ['a CommonJS app', 'main.cjs', "const { Queue, Worker } = require('nestjs-conveyor');"],
  ])('runs a job from %s importing the root', (_label, file, imports) => {
    writeFileSync(path.join(app, file), program(imports, inline));
    const out = run(app, file);
    expect(out.stderr).not.toMatch(/Error/);
    expect(lastJson(out.stdout)).toEqual({ result: 42 });
  });

  describe('an app without NestJS', () => {
    beforeAll(() => {
      // the processor file runs in a child process and imports the engine there too
      writeFileSync(
        path.join(engineApp, 'double.mjs'),
        "import { UnrecoverableError } from 'nestjs-conveyor/engine';\n" +
          'const resolvable = (name) => { try { import.meta.resolve(name); return true; } catch { return false; } };\n' +
          'export default async (job) => {\n' +
          "  if (typeof job.data.n !== 'number') throw new UnrecoverableError('n must be a number');\n" +
          "  return { doubled: job.data.n * 2, pid: process.pid, nest: resolvable('@nestjs/common'), engine: resolvable('nestjs-conveyor/engine') };\n" +
          '};\n',
      );
    });

    it('has no @nestjs package, nor reflect-metadata or rxjs', () => {
      expect(nestPackagesIn(engineApp)).toEqual([]);
      expect(existsSync(path.join(engineApp, 'node_modules', 'nestjs-conveyor', 'dist', 'engine', 'index.js'))).toBe(true);
      expect(existsSync(path.join(engineApp, 'node_modules', 'ioredis'))).toBe(true);
    });

    it('keeps them out on a later plain npm install', () => {
      npm(engineApp, ['install']);
      expect(nestPackagesIn(engineApp)).toEqual([]);
    }, 180_000);

    it.each([
      ['ES module', 'engine.mjs', "import { Queue, Worker } from 'nestjs-conveyor/engine';"],
      ['CommonJS', 'engine.cjs', "const { Queue, Worker } = require('nestjs-conveyor/engine');"],
    ])('runs a job through nestjs-conveyor/engine from %s', (_label, file, imports) => {
      writeFileSync(path.join(engineApp, file), program(imports, inline));
      const out = run(engineApp, file);
      expect(out.stderr).not.toMatch(/Error/);
      expect(lastJson(out.stdout)).toEqual({ result: 42 });
    });

    it.each([
      ['ES module', 'sandboxed.mjs', "import { Queue, Worker } from 'nestjs-conveyor/engine';\nimport path from 'node:path';"],
      ['CommonJS', 'sandboxed.cjs', "const { Queue, Worker } = require('nestjs-conveyor/engine');\nconst path = require('node:path');"],
    ])('runs a sandboxed processor file whose child process loads only the engine, from %s', (_label, file, imports) => {
      writeFileSync(path.join(engineApp, file), program(imports, "path.join(process.cwd(), 'double.mjs')"));
      const out = run(engineApp, file);
      expect(out.stderr).not.toMatch(/Error/);
      const { result } = lastJson(out.stdout) as { result: { doubled: number; pid: number; nest: boolean; engine: boolean } };
      // it ran in another process (the forked child), where the engine resolves and NestJS does not
      expect(result).toEqual({ doubled: 42, pid: expect.any(Number), nest: false, engine: true });
      expect(result.pid).not.toBe(process.pid);
    });

    it('type-checks an app written against nestjs-conveyor/engine (its declarations load no NestJS either)', () => {
      writeFileSync(
        path.join(engineApp, 'typed.ts'),
        "import { Queue, Worker, type Job, type JobsOptions, type ConnectionOptions } from 'nestjs-conveyor/engine';\n" +
          "const connection: ConnectionOptions = { host: '127.0.0.1', port: 6379 };\n" +
          "const opts: JobsOptions = { attempts: 3, backoff: { type: 'exponential', delay: 100 } };\n" +
          "const queue = new Queue<{ n: number }, number>('typed', { connection });\n" +
          "void queue.add('double', { n: 21 }, opts);\n" +
          "const worker = new Worker<{ n: number }, number>('typed', async (job: Job<{ n: number }, number>) => job.data.n * 2, { connection, autorun: false });\n" +
          "worker.on('completed', (job, result: number) => console.log(job.id, result));\n",
      );
      expect(typeCheck(engineApp)).toBe('');
    }, 60_000);

    it('has no @bull-board/api (an optional peer), and nestjs-conveyor/bull-board says it is missing', () => {
      expect(existsSync(path.join(engineApp, 'node_modules', '@bull-board'))).toBe(false);
      writeFileSync(
        path.join(engineApp, 'board.mjs'),
        "import { ConveyorAdapter } from 'nestjs-conveyor/bull-board';\nconsole.log(typeof ConveyorAdapter);\n",
      );
      const out = run(engineApp, 'board.mjs');
      expect(out.status).not.toBe(0);
      expect(out.stderr).toMatch(/Cannot find (package|module) '@bull-board\/api/);
    });

    it('importing the package root fails at once, naming the missing @nestjs/common', () => {
      writeFileSync(path.join(engineApp, 'root.mjs'), "import { Queue } from 'nestjs-conveyor';\nconsole.log(typeof Queue);\n");
      const out = run(engineApp, 'root.mjs');
      expect(out.status).not.toBe(0);
      expect(out.stderr).toMatch(/Cannot find (package|module) '@nestjs\/common'/);
    });
  });
  describe('an app with bull-board', () => {
    const boardProgram = (imports: string) => `${imports}
const connection = process.env.REDIS_URL;
(async () => {
  const queue = new Queue(process.env.QUEUE, { connection });
  const adapter = new ConveyorAdapter(queue, { displayName: 'Packed' });
  await adapter.addJob('hello', { n: 1 }, { delay: 60000 });
  const refused = await adapter.addJob('bad', {}, { jobId: '42' }).then(() => null, (err) => ({ status: err.statusCode, message: err.message }));
  const counts = await adapter.getJobCounts();
  console.log(JSON.stringify({ alias: BullMQAdapter === ConveyorAdapter, type: adapter.type, name: adapter.getDisplayName(), delayed: counts.delayed, refused }));
  await queue.obliterate({ force: true });
  await queue.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

    it.each([
      [
        'ES module',
        'board.mjs',
        "import { Queue } from 'nestjs-conveyor/engine';\nimport { BullMQAdapter, ConveyorAdapter } from 'nestjs-conveyor/bull-board';",
      ],
      [
        'CommonJS',
        'board.cjs',
        "const { Queue } = require('nestjs-conveyor/engine');\nconst { BullMQAdapter, ConveyorAdapter } = require('nestjs-conveyor/bull-board');",
      ],
    ])('loads nestjs-conveyor/bull-board from %s and acts on a queue through it', (_label, file, imports) => {
      writeFileSync(path.join(boardApp, file), boardProgram(imports));
      const out = run(boardApp, file);
      expect(out.stderr).not.toMatch(/Error/);
      expect(lastJson(out.stdout)).toEqual({
        alias: true,
        type: 'bullmq',
        name: 'Packed',
        delayed: 1,
        refused: { status: 400, message: 'Custom Id cannot be integers' },
      });
    });

    it('type-checks an app that gives its queues to ConveyorAdapter', () => {
      writeFileSync(
        path.join(boardApp, 'typed.ts'),
        "import type { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';\n" +
          "import { Queue } from 'nestjs-conveyor/engine';\n" +
          "import { BullMQAdapter, ConveyorAdapter } from 'nestjs-conveyor/bull-board';\n" +
          "const queue = new Queue<{ to: string }>('typed', { connection: { host: '127.0.0.1', port: 6379 } });\n" +
          'const adapters: BaseAdapter[] = [new ConveyorAdapter(queue, { readOnlyMode: true }), new BullMQAdapter(queue)];\n' +
          'console.log(adapters.length);\n',
      );
      expect(typeCheck(boardApp)).toBe('');
    }, 120_000);
  });
});
