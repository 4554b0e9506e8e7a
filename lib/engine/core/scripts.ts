import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inlineKeyNames, LUA_KEYS_INCLUDE, luaKeysSource } from './lua-keys.js';

/**
 * Loads the Lua scripts in `lua/`, inlines `--- @include "includes/x"` lines and runs them with
 * EVALSHA, falling back to EVAL when the server has no copy (`NOSCRIPT`). Key names come from
 * keys.ts: the include `includes/keys` is generated, and `QK.<name>` / `JK.<name>` are replaced
 * by their strings when a script is loaded (see lua-keys.ts).
 *
 * `lua/` ships with the package; it is found relative to this module, which sits at the same depth
 * in `lib/engine/` (sources) and `dist/engine/` (build), so any install layout works.
 */
export const LUA_DIR = fileURLToPath(new URL('../../../lua/', import.meta.url));

const INCLUDE_LINE = /^[ \t]*---[ \t]*@include[ \t]+"([^"]+)"[ \t]*$/;

/** Includes made in code rather than read from lua/, by the name scripts include them with. */
export const GENERATED_INCLUDES: Readonly<Record<string, () => string>> = {
  [LUA_KEYS_INCLUDE]: luaKeysSource,
};

export class ScriptLoaderError extends Error {
  constructor(
    message: string,
    readonly includeStack: string[],
  ) {
    super(message);
    this.name = 'ScriptLoaderError';
  }
}

export interface LoadedScript {
  name: string;
  source: string;
  sha: string;
}

/**
 * Flattens one script: each include is inlined once, at its first use; cycles are reported. Key
 * names (`QK.<name>`, `JK.<name>`) are left as they are; loadScript inlines them.
 */
export function flattenScript(file: string, baseDir = LUA_DIR): string {
  const included = new Set<string>();
  const render = (rel: string, stack: string[]): string => {
    const abs = path.resolve(baseDir, rel);
    let text: string;
    try {
      text = GENERATED_INCLUDES[rel]?.() ?? readFileSync(abs, 'utf8');
    } catch (err) {
      const from = stack.length ? ` (included from ${stack[stack.length - 1]})` : '';
      throw new ScriptLoaderError(`Cannot read Lua file ${rel}${from}: ${(err as Error).message}`, stack);
    }
    const out: string[] = [];
    text.split('\n').forEach((line, index) => {
      const match = INCLUDE_LINE.exec(line);
      if (!match) {
        out.push(line);
        return;
      }
      const target = match[1].endsWith('.lua') ? match[1] : `${match[1]}.lua`;
      const where = `${rel}:${index + 1}:${line.indexOf('---') + 1}`;
      if (stack.includes(target)) {
        throw new ScriptLoaderError(`Circular include of ${target} at ${where} (chain: ${[...stack, rel, target].join(' -> ')})`, [
          ...stack,
          rel,
        ]);
      }
      if (included.has(target)) return;
      included.add(target);
      out.push(render(target, [...stack, rel]));
    });
    return out.join('\n');
  };
  return render(file, []);
}

const cache = new Map<string, LoadedScript>();

export function loadScript(name: string, baseDir = LUA_DIR): LoadedScript {
  const cacheKey = `${baseDir}|${name}`;
  let script = cache.get(cacheKey);
  if (!script) {
    const flat = flattenScript(`${name}.lua`, baseDir);
    let source: string;
    try {
      source = inlineKeyNames(flat, `${name}.lua`);
    } catch (err) {
      throw new ScriptLoaderError((err as Error).message, [`${name}.lua`]);
    }
    script = { name, source, sha: createHash('sha1').update(source).digest('hex') };
    cache.set(cacheKey, script);
  }
  return script;
}

/** Names of all top-level scripts (used by tests that check every script loads). */
export function listScripts(baseDir = LUA_DIR): string[] {
  return readdirSync(baseDir)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => f.slice(0, -4))
    .sort();
}

/** The minimal client surface the runner needs; ioredis clients and pipelines both have it. */
interface EvalClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number | Buffer)[]): Promise<unknown>;
}

/** The scripts of LUA_DIR by name: runScript looks one up per call, without building a cache key. */
const shipped = new Map<string, LoadedScript>();

export async function runScript(client: EvalClient, name: string, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
  let script = shipped.get(name);
  if (script === undefined) {
    script = loadScript(name);
    shipped.set(name, script);
  }
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(script.source, keys.length, ...keys, ...args);
  }
}
