import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * A ```ts block of a Markdown file. Words after `ts` on the fence line say how it is checked:
 * none: compiled as a module of its own; `run`: also run against a throwaway Redis (`6379` in it
 * becomes that Redis' port), which it must leave on its own within the time limit.
 */
export interface CodeBlock {
  /** `README.md:120`: the file and the line of the opening fence. */
  where: string;
  /** A file name for the block, unique among all blocks. */
  fileName: string;
  code: string;
  run: boolean;
}

const FENCE = /^```(ts|typescript)\b([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
const KNOWN_WORDS = new Set(['run']);

/** README.md and every docs/*.md of the checkout at `root`. */
export function documentationFiles(root: string): string[] {
  const docs = path.join(root, 'docs');
  const inDocs = existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [];
  return ['README.md', ...inDocs.sort()];
}

export function codeBlocks(root: string, file: string): CodeBlock[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const indented = text.split('\n').findIndex((l) => /^\s+```(ts|typescript)\b/.test(l));
  // the pattern below reads fences at the start of a line only: an indented one would go unchecked
  if (indented >= 0) throw new Error(`${file}:${indented + 1}: an indented \`\`\`ts block; start the fence at the line's beginning`);
  const blocks: CodeBlock[] = [];
  for (const match of text.matchAll(FENCE)) {
    const line = text.slice(0, match.index).split('\n').length;
    const words = match[2].trim().split(/\s+/).filter(Boolean);
    const unknown = words.filter((w) => !KNOWN_WORDS.has(w));
    if (unknown.length > 0) throw new Error(`${file}:${line}: unknown word(s) after \`\`\`ts: ${unknown.join(' ')} (known: ${[...KNOWN_WORDS].join(', ')})`);
    blocks.push({
      where: `${file}:${line}`,
      fileName: `${file.replace(/[^a-z0-9]+/gi, '-')}-${line}.ts`,
      code: match[3],
      run: words.includes('run'),
    });
  }
  return blocks;
}

/** Names a block imports from a module (type-only ones included), by module. */
export function importedNames(code: string): Map<string, string[]> {
  const byModule = new Map<string, string[]>();
  for (const match of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    const names = match[1]
      .split(',')
      .map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim())
      .filter(Boolean);
    byModule.set(match[2], [...(byModule.get(match[2]) ?? []), ...names]);
  }
  return byModule;
}

/** The packages a block imports (`@scope/name` or `name`), without the package's subpaths. */
export function importedPackages(code: string): string[] {
  const packages = new Set<string>();
  for (const match of code.matchAll(/(?:from|import)\s*'([^'.][^']*)'/g)) {
    if (match[1].startsWith('node:')) continue;
    const parts = match[1].split('/');
    packages.add(match[1].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...packages];
}

/** Every name lib/index.ts (or another barrel) exports, values and types. */
export function exportedNames(barrel: string): Set<string> {
  const text = readFileSync(barrel, 'utf8');
  const names = new Set<string>();
  for (const match of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const name of match[1].split(',')) {
      const exported = name.trim().split(/\s+as\s+/).pop()!.trim();
      if (exported) names.add(exported);
    }
  }
  return names;
}
