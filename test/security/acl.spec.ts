// The engine under a Redis ACL user limited to its prefix's keys and to the commands it sends
// (aclRulesFor): the core engine suites run as that user in a child Jest against a redis-server of
// our own (default user off), and Redis logs no denial.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { LUA_DIR } from '../../lib/engine/core/scripts.js';
import { ACL_COMMANDS, aclRulesFor, Queue } from '../../lib/index.js';
import { RedisServer } from '../../scripts/redis-server.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = { user: 'admin', password: 'admin-pw' };
const ENGINE = { user: 'conveyor', password: 'conveyor-pw' };

/**
 * The core engine suites: they talk to REDIS_URL only (no servers or processes of their own, no
 * bullmq workers; bullmq fixtures and assertions go through CONVEYOR_ADMIN_REDIS_URL).
 */
const CORE_SUITES = [
  'smoke',
  'add-validation',
  'queue-getters',
  'queue-pause',
  'queue-clean',
  'queue-remove',
  'queue-retry',
  'job-methods',
  'worker-processing',
  'worker-retries',
  'worker-retention',
  'worker-events',
  'worker-locks',
  'worker-close',
  'worker-batch-finish',
  'queue-events',
  'wait-until-finished',
  'flow-producer',
  'flow-dynamic',
  'flow-get',
  'flow-parent-options',
  'flow-validation',
  'job-scheduler',
  'job-scheduler-validation',
  'dedup',
  'dedup-validation',
  'rate-limit',
  'global-concurrency',
  'stalled-recovery',
  'outcomes-job-moves',
  'outcomes-processor',
  'cancellation-signals',
  'manual-processing',
  'metrics',
  'queue-workers',
  'queue-orphans',
  'queue-events-producer',
  'prometheus',
].map((name) => `test/engine/${name}.spec.ts`);

/** Tests that use prefixes other than `bull` on purpose: a one-prefix user is refused there, rightly. */
const OTHER_PREFIX_TESTS = [
  'honours the prefix',
  'a node without prefix takes the producer prefix',
  'follows children across queues and prefixes',
  'flows over hash-tagged queues must stay in one cluster slot',
];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('Redis ACL user limited to the queue prefix', () => {
  let server: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start({
      args: (dir) => {
        const file = path.join(dir, 'users.acl');
        writeFileSync(
          file,
          [
            'user default off',
            `user ${ADMIN.user} on >${ADMIN.password} ~* &* +@all`,
            `user ${ENGINE.user} on >${ENGINE.password} ${aclRulesFor('bull')}`,
            '',
          ].join('\n'),
        );
        return ['--aclfile', file];
      },
    });
    admin = new Redis({ port: server.port, host: '127.0.0.1', username: ADMIN.user, password: ADMIN.password });
  });

  afterAll(async () => {
    await admin?.quit();
    await server?.close();
  });

  const url = (who: { user: string; password: string }) => `redis://${who.user}:${who.password}@127.0.0.1:${server.port}`;

  async function aclDenials(): Promise<string[]> {
    const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
    return entries.map((entry) => {
      const e: Record<string, unknown> = {};
      for (let i = 0; i + 1 < entry.length; i += 2) e[String(entry[i])] = entry[i + 1];
      return `${e.reason} "${e.object}" (${e.context}) by ${e.username}, ${e.count} time(s)`;
    });
  }

  it('writes the prefix as its only key pattern, glob characters escaped, and no channels', () => {
    expect(aclRulesFor()).toBe(`resetkeys ~bull:* resetchannels -@all ${ACL_COMMANDS.map((c) => `+${c}`).join(' ')}`);
    expect(aclRulesFor('{app}').split(' ').slice(0, 4)).toEqual(['resetkeys', '~{app}:*', 'resetchannels', '-@all']);
    expect(aclRulesFor('a*b?[c]\\').split(' ')[1]).toBe('~a\\*b\\?\\[c\\]\\\\:*');
    expect(() => aclRulesFor('my app')).toThrow('prefix "my app" contains whitespace and cannot be written as an ACL key pattern');
    expect(() => aclRulesFor('')).toThrow('prefix must be a non-empty string, got ""');
  });

  it('is the line the README shows', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`ACL SETUSER conveyor on >s3cret ${aclRulesFor('bull')}\n`);
  });

  it("allows every command a Lua script calls (scripts run with their caller's permissions)", () => {
    const called = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const file = path.join(dir, entry);
        if (statSync(file).isDirectory()) walk(file);
        else if (entry.endsWith('.lua')) {
          const text = readFileSync(file, 'utf8');
          for (const m of text.matchAll(/(?:redis\.p?call|rcall)\(\s*["']([A-Za-z]+)["']/g)) called.add(m[1].toLowerCase());
          // commands picked at run time are named in a string assigned before the call
          for (const m of text.matchAll(/Cmd\s*=\s*["']([A-Za-z]+)["']/g)) called.add(m[1].toLowerCase());
        }
      }
    };
    walk(LUA_DIR);
    expect(called.size).toBeGreaterThan(20);
    expect([...called].filter((c) => !ACL_COMMANDS.includes(c)).sort()).toEqual([]);
  });

  /** Runs `suites` in a child Jest as the engine's ACL user; resolves with its exit code and output. */
  async function runAsEngineUser(suites: string[]): Promise<{ code: number | null; output: string }> {
    const args = [
      '--experimental-vm-modules',
      path.join(ROOT, 'node_modules/jest/bin/jest.js'),
      '--runInBand',
      '--ci',
      // a suite that leaves a handle open must not hold this test until its timeout
      '--forceExit',
      '--testNamePattern',
      `^(?!.*(${OTHER_PREFIX_TESTS.map(escapeRegExp).join('|')}))`,
      ...suites,
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: url(ENGINE), CONVEYOR_ADMIN_REDIS_URL: url(ADMIN), FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code, output };
  }

  /** Suites Jest marked PASS or FAIL (a FAIL line comes again in its closing summary). */
  const suitesMarked = (output: string, mark: 'PASS' | 'FAIL') => [
    ...new Set([...output.matchAll(new RegExp(`^${mark} (test/engine/\\S+\\.spec\\.ts)`, 'gm'))].map((m) => m[1])),
  ];

  function failure(what: string, run: { code: number | null; output: string }, denials: string[]): Error {
    const failed = run.output.split('\n').filter((line) => /^\s+● /.test(line) && !line.includes('Console'));
    return new Error(
      `${what} (exit ${run.code}).\nFailed tests:\n${[...new Set(failed)].join('\n')}\n` +
        `ACL denials: ${JSON.stringify(denials, null, 2)}\nOutput (last 12000 characters):\n${run.output.slice(-12_000)}`,
    );
  }

  it('runs the core engine suites as that user with no ACL denial', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const run = await runAsEngineUser(CORE_SUITES);
    // every suite ran (none filtered away), and only the other-prefix tests were left out
    expect([...suitesMarked(run.output, 'PASS'), ...suitesMarked(run.output, 'FAIL')].sort()).toEqual([...CORE_SUITES].sort());
    expect(run.output).toMatch(new RegExp(`Tests:.* ${OTHER_PREFIX_TESTS.length} skipped, \\d+ passed`));
    // a failure without a denial is a failure all the same: no suite is run twice
    if (run.code !== 0) throw failure(`the engine suites failed as ACL user "${ENGINE.user}"`, run, await aclDenials());
    expect(await aclDenials()).toEqual([]);
  }, 240_000);

  it('is really limited: keys outside the prefix and commands outside the list are refused, and logged', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const queue = new Queue('acl-outside', { prefix: 'other', connection: url(ENGINE) });
    const raw = new Redis(url(ENGINE), { maxRetriesPerRequest: 1 });
    try {
      await expect(queue.add('j', {})).rejects.toThrow(/NOPERM/);
      await expect(raw.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
      await expect(raw.call('CONFIG', 'GET', 'maxmemory-policy')).rejects.toThrow(/NOPERM/);
    } finally {
      await queue.close();
      raw.disconnect();
    }
    const denials = await aclDenials();
    expect(denials).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^key "other:acl-outside:/),
        expect.stringMatching(/^command "keys"/),
        expect.stringMatching(/^command "config\|get"/),
      ]),
    );
  });
});
