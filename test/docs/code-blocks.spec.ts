import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { RedisServer } from '../../scripts/redis-server.mjs';
import { codeBlocks, documentationFiles } from './code-blocks.js';

// Every ```ts block of README.md and docs/*.md is compiled as a module of its own, against lib/
// (as `nestjs-conveyor`) and the installed packages, with the project's compiler options; blocks
// marked ```ts run are then run against a throwaway Redis. An example can no longer rot.
const root = fileURLToPath(new URL('../../', import.meta.url));
const work = path.join(root, '.tmp', 'doc-blocks');

const blocks = documentationFiles(root).flatMap((file) => codeBlocks(root, file));
const checked = blocks;

function compilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return {
    ...options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    rootDir: undefined,
    types: ['node'],
    paths: {
      'nestjs-conveyor': [path.join(root, 'lib/index.ts')],
      'nestjs-conveyor/health': [path.join(root, 'lib/nest/health/index.ts')],
      'nestjs-conveyor/bull-board': [path.join(root, 'lib/bull-board/index.ts')],
    },
  };
}

describe('the TypeScript blocks of README.md and docs/', () => {
  const diagnostics = new Map<string, string[]>();
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    const files = checked.map((block) => {
      const file = path.join(work, block.fileName);
      writeFileSync(file, block.code);
      return file;
    });
    const program = ts.createProgram(files, compilerOptions());
    const all = ts.getPreEmitDiagnostics(program);
    for (const block of checked) diagnostics.set(block.fileName, []);
    for (const diagnostic of all) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      const file = diagnostic.file;
      if (!file) throw new Error(`compiler: ${message}`);
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const own = diagnostics.get(path.basename(file.fileName));
      // an error in lib/ or a package is nobody's example: fail on it all the same
      if (!own || !file.fileName.startsWith(work)) throw new Error(`${path.relative(root, file.fileName)}:${line + 1}: ${message}`);
      own.push(`line ${line + 1} of the block: ${message}`);
    }
    if (checked.some((b) => b.run)) redis = await RedisServer.start();
  }, 180_000);

  afterAll(async () => {
    await redis?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the blocks (README.md has some)', () => {
    expect(blocks.filter((b) => b.where.startsWith('README.md:')).length).toBeGreaterThan(0);
  });

  for (const block of blocks) {
    it(`${block.where} compiles`, () => {
      expect(diagnostics.get(block.fileName)).toEqual([]);
    });
    if (!block.run) continue;
    it(`${block.where} runs against Redis and ends on its own`, () => {
      if (!existsSync(path.join(root, 'dist/index.js'))) throw new Error('dist/ is missing: `npm run build` (npm test does it first)');
      // run from the checkout, where `nestjs-conveyor` resolves to the built package
      const code = block.code.replaceAll('6379', String(redis!.port));
      const { outputText } = ts.transpileModule(code, {
        compilerOptions: {
          ...compilerOptions(),
          module: ts.ModuleKind.ESNext,
          moduleResolution: ts.ModuleResolutionKind.Bundler,
          paths: undefined,
        },
      });
      const file = path.join(work, block.fileName.replace(/\.ts$/, '.mjs'));
      writeFileSync(file, outputText);
      const result = spawnSync(process.execPath, [file], {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    }, 40_000);
  }
});
