// Key names have one source, keys.ts, and every script's header says which keys it touches.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_KEY, QUEUE_KEY, QUEUE_KEY_FAMILY } from '../../lib/engine/core/keys.js';
import { inlineKeyNames, LUA_KEYS_INCLUDE, luaKeysSource } from '../../lib/engine/core/lua-keys.js';
import { flattenScript, listScripts, loadScript, LUA_DIR, ScriptLoaderError } from '../../lib/engine/core/scripts.js';
import { headerKeys, keysInCode, stripLuaComments, tokensOfItem } from './script-keys.support.js';

function luaFiles(dir = LUA_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return luaFiles(file);
    return entry.name.endsWith('.lua') ? [file] : [];
  });
}

describe('key names', () => {
  it('are generated into includes/keys, which has no file in lua/', () => {
    expect(luaFiles().map((f) => path.relative(LUA_DIR, f))).not.toContain(LUA_KEYS_INCLUDE);
    const source = luaKeysSource();
    for (const suffix of Object.values(QUEUE_KEY)) expect(source).toContain(`base .. "${suffix}"`);
    for (const suffix of Object.values(JOB_KEY)) expect(source).toContain(`jobKey .. "${suffix}"`);
  });

  it('are inlined as strings when a script loads, and an unknown one fails the load', () => {
    expect(inlineKeyNames('return base .. QK.dedup .. id, jobKey .. JK.lock, Q.waitingChildren', 't.lua')).toBe(
      `return base .. "${QUEUE_KEY_FAMILY.dedup}" .. id, jobKey .. "${JOB_KEY.lock}", Q.waitingChildren`,
    );
    expect(() => inlineKeyNames('return jobKey .. JK.lok', 't.lua')).toThrow(
      /t\.lua: JK\.lok is not a key name of lib\/engine\/core\/keys\.ts \(JK has lock, logs/,
    );
    for (const name of listScripts()) expect(loadScript(name).source).not.toMatch(/\b(QK|JK)\.\w/);
  });

  it('are never typed out in Lua: no string concatenated to a key is a suffix of keys.ts', () => {
    const suffixes = new Set<string>([
      ...Object.values(QUEUE_KEY),
      ...Object.values(QUEUE_KEY_FAMILY),
      ...Object.values(JOB_KEY),
      ...Object.values(QUEUE_KEY).map((s) => `:${s}`),
    ]);
    const typed: string[] = [];
    for (const file of luaFiles()) {
      const code = stripLuaComments(readFileSync(file, 'utf8'));
      for (const match of code.matchAll(/\.\.\s*"([^"]*)"|"([^"]*)"\s*\.\./g)) {
        const text = match[1] ?? match[2];
        if (suffixes.has(text)) typed.push(`${path.relative(LUA_DIR, file)}: "${text}"`);
      }
    }
    expect(typed).toEqual([]);
  });

  it('a typo in a script fails its load, naming the script', () => {
    const fixtures = fileURLToPath(new URL('../fixtures/lua/', import.meta.url));
    expect(() => loadScript('bad-key-name', fixtures)).toThrow(ScriptLoaderError);
    expect(() => loadScript('bad-key-name', fixtures)).toThrow(/bad-key-name\.lua: QK\.wiat is not a key name/);
  });
});

describe('script headers', () => {
  const scripts = listScripts();

  it('every script lists the keys it reads and writes', () => {
    expect(scripts.filter((name) => !headerKeys(readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8')))).toEqual([]);
  });

  // The code check sees the keys a script names through Q/P/J.<key>, QK.<name>, JK.<name> and
  // jobSubKeys, in the script and its includes; a key the caller passes (KEYS[n], a state in ARGV)
  // is taken from the header when the script uses that argument.
  it.each(scripts)('%s: the header names exactly the keys its code touches', (name) => {
    const raw = readFileSync(path.join(LUA_DIR, `${name}.lua`), 'utf8');
    const flat = flattenScript(`${name}.lua`);
    const { reads, writes } = headerKeys(raw)!;
    const inHeader = new Set<string>();
    const notUsed: string[] = [];
    for (const item of [...reads, ...writes]) {
      const { tokens, given } = tokensOfItem(item);
      if (given) {
        // ARGV[n..]: the script indexes ARGV with a variable
        const uses = given.endsWith('..]') ? /\bARGV\[\s*[A-Za-z_]/ : new RegExp(given.replace(/[[\]]/g, '\\$&'));
        if (!uses.test(stripLuaComments(flat))) notUsed.push(`${item}: the script never uses ${given}`);
        continue;
      }
      for (const token of tokens) inHeader.add(token);
    }
    const inCode = keysInCode(flat);
    expect({
      notUsed,
      missingFromHeader: [...inCode].filter((k) => !inHeader.has(k)).sort(),
      notInCode: [...inHeader].filter((k) => !inCode.has(k)).sort(),
    }).toEqual({
      notUsed: [],
      missingFromHeader: [],
      notInCode: [],
    });
  });
});
