import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Every package a module imports, following its relative imports (what `import 'nestjs-conveyor'` loads). */
function packagesImportedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, specifier] of source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
      else packages.add(specifier);
    }
    for (const [, specifier] of source.matchAll(/^\s*import\s+'([^']+)'/gm)) packages.add(specifier);
  };
  visit(entry);
  return packages;
}

describe('package surface', () => {
  it('the package root never imports @nestjs/terminus (an optional peer); nestjs-conveyor/health does', () => {
    const root = packagesImportedFrom(path.join(LIB, 'index.ts'));
    expect(root.has('@nestjs/common')).toBe(true);
    expect([...root].filter((p) => p.startsWith('@nestjs/terminus'))).toEqual([]);
    expect(packagesImportedFrom(path.join(LIB, 'nest/health/index.ts')).has('@nestjs/terminus')).toBe(true);
  });

  it('nestjs-conveyor/engine imports no NestJS package, nor reflect-metadata or rxjs', () => {
    const engine = [...packagesImportedFrom(path.join(LIB, 'engine/index.ts'))];
    expect(engine.filter((p) => p.startsWith('@nestjs/') || p === 'reflect-metadata' || p === 'rxjs')).toEqual([]);
    expect(engine).toContain('ioredis');
  });

  it('only nestjs-conveyor/bull-board imports @bull-board/api (an optional peer), and it needs no NestJS', () => {
    const bullBoard = (packages: Set<string>) => [...packages].filter((p) => p.startsWith('@bull-board/'));
    expect(bullBoard(packagesImportedFrom(path.join(LIB, 'index.ts')))).toEqual([]);
    expect(bullBoard(packagesImportedFrom(path.join(LIB, 'engine/index.ts')))).toEqual([]);
    const board = [...packagesImportedFrom(path.join(LIB, 'bull-board/index.ts'))];
    expect(board.filter((p) => p.startsWith('@bull-board/')).length).toBeGreaterThan(0);
    expect(board.every((p) => p.startsWith('@bull-board/api/') || !p.startsWith('@bull-board/'))).toBe(true);
    expect(board.filter((p) => p.startsWith('@nestjs/') || p === 'reflect-metadata' || p === 'rxjs')).toEqual([]);
  });
});
