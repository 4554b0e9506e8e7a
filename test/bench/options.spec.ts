// Which cases `npm run bench` runs by default, and the checks of --depth (bench/options.mjs).

/** bench/ is plain JavaScript without declarations: loaded by URL, typed by hand. */
const load = async <T>(file: string): Promise<T> => (await import(new URL(`../../bench/${file}`, import.meta.url).href)) as T;

interface OptionsModule {
  parseOptions(
    argv: string[],
    cases: { id: string; fullN: number; quickN: number; optIn?: boolean }[],
  ): { caseIds: string[]; depth: number };
}

describe('bench/options.mjs', () => {
  const cases = [
    { id: 'a', fullN: 10, quickN: 1 },
    { id: 'deep-b', fullN: 10, quickN: 1, optIn: true },
  ];

  it('leaves opt-in cases out unless named, "all" or --quick', async () => {
    const { parseOptions } = await load<OptionsModule>('options.mjs');
    expect(parseOptions([], cases).caseIds).toEqual(['a']);
    expect(parseOptions(['--cases', 'deep-b'], cases).caseIds).toEqual(['deep-b']);
    expect(parseOptions(['--cases', 'all'], cases).caseIds).toEqual(['a', 'deep-b']);
    expect(parseOptions(['--quick'], cases).caseIds).toEqual(['a', 'deep-b']);
  });

  it('refuses a deep case asked to process more jobs than are waiting', async () => {
    const { parseOptions } = await load<OptionsModule>('options.mjs');
    expect(parseOptions(['--depth', '20'], cases).depth).toBe(20);
    expect(() => parseOptions(['--cases', 'deep-b', '--depth', '5'], cases)).toThrow(/more than --depth 5/);
  });
});
