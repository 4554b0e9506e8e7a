import { fileURLToPath } from 'node:url';
import { flattenScript, listScripts, loadScript, runScript, ScriptLoaderError } from '../../lib/engine/core/scripts.js';
import { rawClient } from '../support/redis.js';
import { ScriptMonitor } from '../support/script-monitor.js';

const fixtures = fileURLToPath(new URL('../fixtures/lua/', import.meta.url));

describe('Lua script loader', () => {
  it('inlines each include once, at its first use', () => {
    const source = flattenScript('diamond.lua', fixtures);
    expect(source.match(/local function shared\(\)/g)).toHaveLength(1);
    expect(source.indexOf('local function shared')).toBeLessThan(source.indexOf('local function left'));
    expect(source).not.toContain('@include');
  });

  it('reports a circular include with the chain and the place', () => {
    expect(() => flattenScript('circular-a.lua', fixtures)).toThrow(ScriptLoaderError);
    expect(() => flattenScript('circular-a.lua', fixtures)).toThrow(
      /Circular include of includes\/cycle-b\.lua at includes\/cycle-c\.lua:1:1 \(chain: circular-a\.lua -> includes\/cycle-b\.lua -> includes\/cycle-c\.lua -> includes\/cycle-b\.lua\)/,
    );
  });

  it('names the missing file and who included it', () => {
    expect(() => flattenScript('missing.lua', fixtures)).toThrow(
      /Cannot read Lua file includes\/nowhere\.lua \(included from missing\.lua\)/,
    );
  });

  it('loads every shipped script, each with a contract header and no include left', () => {
    const names = listScripts();
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const { source } = loadScript(name);
      expect(source.trimStart().startsWith('--[[')).toBe(true);
      expect(source).not.toMatch(/@include/);
      expect(source).toMatch(/KEYS\[1\]/);
    }
  });

  describe('on a real Redis', () => {
    const client = rawClient();
    afterAll(() => client.quit());

    it('compiles on the server (every shipped script)', async () => {
      for (const name of listScripts()) {
        const { source } = loadScript(name);
        // SCRIPT LOAD compiles without running: a syntax error fails here, naming the script
        await expect(
          client.script('LOAD', source).catch((e: Error) => Promise.reject(new Error(`${name}: ${e.message}`))),
        ).resolves.toHaveLength(40);
      }
    });

    it('falls back to EVAL after SCRIPT FLUSH and the next call uses EVALSHA again', async () => {
      const queue = `loader-${process.pid}-${Date.now()}`;
      const key = `bull:${queue}:meta`;
      const base = key.slice(0, -'meta'.length);
      const monitor = await new ScriptMonitor(queue, ['getState']).start();
      const runner = rawClient();
      try {
        await client.script('FLUSH');
        await expect(runScript(runner, 'getState', [key], [base, 'nope'])).resolves.toBe('unknown');
        await expect(runScript(runner, 'getState', [key], [base, 'nope'])).resolves.toBe('unknown');
        await monitor.settle(runner);
        expect(monitor.calls.map((c) => c.command)).toEqual(['evalsha', 'eval', 'evalsha']);
      } finally {
        runner.disconnect();
        await monitor.close();
      }
    });
  });
});
