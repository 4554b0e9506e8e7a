// The summary of V8 .cpuprofile files that `npm run bench -- --profile` writes (bench/profile-summary.mjs).

/** bench/ is plain JavaScript without declarations: loaded by URL, typed by hand. */
const load = async <T>(file: string): Promise<T> => (await import(new URL(`../../bench/${file}`, import.meta.url).href)) as T;

interface Entry {
  name: string;
  us: number;
}
interface Summary {
  busyUs: number;
  idleUs: number;
  totalUs: number;
  groups: Entry[];
  files: Entry[];
  functions: Entry[];
}
interface SummaryModule {
  classify(frame: { functionName: string; url: string }): { group: string; file: string };
  summarizeProfile(profile: unknown, about: { label: string; jobs?: number }): Summary;
  formatSummary(summary: Summary): string;
  formatComparison(list: Summary[]): string;
}

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

describe('bench/profile-summary.mjs', () => {
  it('groups frames by package, conveyor dist file, node internals and V8 pseudo-frames', async () => {
    const { classify } = await load<SummaryModule>('profile-summary.mjs');
    expect(classify(frame('Command', 'file:///app/node_modules/ioredis/built/Command.js'))).toEqual({
      group: 'ioredis',
      file: 'ioredis/built/Command.js',
    });
    expect(classify(frame('x', 'file:///app/node_modules/bullmq/node_modules/@scope/pkg/a.js')).group).toBe('@scope/pkg');
    expect(classify(frame('take', 'file:///repo/dist/engine/worker/fetch-loop.js'))).toEqual({
      group: 'conveyor',
      file: 'dist/engine/worker/fetch-loop.js',
    });
    expect(classify(frame('emit', 'node:events')).group).toBe('node internals');
    expect(classify(frame('(garbage collector)')).group).toBe('GC');
    expect(classify(frame('(idle)')).group).toBe('idle');
    expect(classify(frame('writeBuffer')).group).toBe('native');
    expect(classify(frame('run', 'file:///repo/bench/cases/process.mjs')).group).toBe('bench harness');
  });

  it('charges each sample the time to the next one and leaves idle out of the busy time', async () => {
    const { summarizeProfile, formatSummary, formatComparison } = await load<SummaryModule>('profile-summary.mjs');
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 5] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('(garbage collector)') },
        { id: 4, callFrame: frame('take', 'file:///repo/dist/engine/worker/fetch-loop.js', 116) },
        { id: 5, callFrame: frame('Command', 'file:///app/node_modules/ioredis/built/Command.js', 36) },
      ],
      startTime: 0,
      endTime: 1000,
      // samples at 0, 100, 400, 700 (µs): idle 100, GC 300, take 300, Command 300 (to the end)
      samples: [2, 3, 4, 5],
      timeDeltas: [0, 100, 300, 300],
    };
    const s = summarizeProfile(profile, { label: 'x', jobs: 10 });
    expect(s.totalUs).toBe(1000);
    expect(s.idleUs).toBe(100);
    expect(s.busyUs).toBe(900);
    expect(Object.fromEntries(s.groups.map((g) => [g.name, g.us]))).toEqual({ GC: 300, conveyor: 300, ioredis: 300 });
    expect(s.functions.map((f) => f.name)).toContain('take dist/engine/worker/fetch-loop.js:117');
    // 300 µs of 900 busy, over 10 jobs
    expect(formatSummary(s)).toContain('| conveyor | 33.3% | 30.00 |');
    expect(formatComparison([s, s])).toContain('| ioredis | 30.00 | 30.00 |');
  });
});
