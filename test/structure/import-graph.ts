import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of a source tree, read with the TypeScript parser (no type checker: every
 * import, re-export and dynamic import is seen as written), and the rules `lib/` keeps.
 */

/** One import of one file. `type` when it is erased at run time (`import type`, all names `type`). */
export interface ImportEdge {
  from: string;
  /** A file of the tree (relative path, `/`-separated), or a package name. */
  to: string;
  /** Resolved into the tree, or a package. */
  internal: boolean;
  type: boolean;
  /** The specifier as written. */
  specifier: string;
}

export interface SourceTree {
  /** Relative path (`/`-separated) -> source text. */
  files: Map<string, string>;
}

/** `.ts`/`.mjs` files under `dir`, keyed by their path relative to `root`. */
export function readTree(root: string, dir: string): SourceTree {
  const files = new Map<string, string>();
  const walk = (abs: string) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const child = path.join(abs, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (/\.(ts|mts|mjs)$/.test(entry.name))
        files.set(path.relative(root, child).split(path.sep).join('/'), readFileSync(child, 'utf8'));
    }
  };
  walk(path.join(root, dir));
  return { files };
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** A relative specifier resolved to a file of the tree (`./x.js` may name `x.ts`), or undefined. */
function resolve(tree: SourceTree, from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const candidates = [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => tree.files.has(c));
}

/** Whether an import declaration is erased at run time. */
function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  if (!bindings || ts.isNamespaceImport(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** Every import of one file: declarations, re-exports, `import('x')` calls and `import('x').T` types. */
export function importsOf(tree: SourceTree, file: string): ImportEdge[] {
  const source = ts.createSourceFile(
    file,
    tree.files.get(file)!,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS,
  );
  const edges: ImportEdge[] = [];
  const add = (specifier: string, type: boolean) => {
    const relative = specifier.startsWith('.');
    const resolved = relative ? resolve(tree, file, specifier) : undefined;
    edges.push({
      from: file,
      to: resolved ?? (relative ? `<unresolved ${specifier}>` : packageName(specifier)),
      internal: relative,
      type,
      specifier,
    });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      add(node.moduleSpecifier.text, isTypeOnlyExport(node));
    else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      add(arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>', false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

export function importGraph(tree: SourceTree): ImportEdge[] {
  return [...tree.files.keys()].sort().flatMap((file) => importsOf(tree, file));
}

/** Files that import each other, directly or not (a strongly connected component), and one loop through them. */
export interface ImportCycle {
  files: string[];
  /** The shortest loop from the component's first file (by name) back to it. */
  loop: string[];
}

/** The cycles among `edges`: one per group of files that import each other, or file importing itself. */
export function findCycles(edges: ImportEdge[]): ImportCycle[] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.internal) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's algorithm, iterative enough for a source tree
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: ImportCycle[] = [];
  const strongConnect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v))
        components.push({ files: component.sort(), loop: loopThrough(component, next) });
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strongConnect(v);
  return components;
}

/** One loop through a strongly connected component, starting at its first file by name. */
function loopThrough(component: string[], next: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0];
  // breadth-first search for the shortest way from start back to start
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const w of next.get(queue[i]) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const loop = [queue[i]];
        while (loop[0] !== start) loop.unshift(previous.get(loop[0])!);
        return [...loop, start];
      }
      if (!previous.has(w)) {
        previous.set(w, queue[i]);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

export function lineCount(text: string): number {
  const lines = text.split('\n');
  return text.endsWith('\n') ? lines.length - 1 : lines.length;
}
