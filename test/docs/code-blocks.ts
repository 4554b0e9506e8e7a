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
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`)
    : [];
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
    if (unknown.length > 0)
      throw new Error(`${file}:${line}: unknown word(s) after \`\`\`ts: ${unknown.join(' ')} (known: ${[...KNOWN_WORDS].join(', ')})`);
    blocks.push({
      where: `${file}:${line}`,
      fileName: `${file.replace(/[^a-z0-9]+/gi, '-')}-${line}.ts`,
      code: match[3],
      run: words.includes('run'),
    });
  }
  return blocks;
}
