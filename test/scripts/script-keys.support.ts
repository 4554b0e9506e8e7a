import { JOB_KEY, LEGACY_QUEUE_KEY, QUEUE_KEY, QUEUE_KEY_FAMILY } from '../../lib/engine/core/keys.js';
import { luaFieldName, luaQueueKeyTable } from '../../lib/engine/core/lua-keys.js';

/**
 * The keys a Lua script touches, in the words its header uses: a queue suffix (`wait`,
 * `waiting-children`), a family member (`de:<id>`, `metrics:<target>:data`) or a job's own key
 * (`<job>:lock`; `<job>` stands for any job, the parent's or a child's too). The job hash itself
 * is left out: every job-level script touches it, under many names.
 */

const FAMILY_TOKEN: Record<string, string> = {
  [QUEUE_KEY_FAMILY.dedup]: 'de:<id>',
  [QUEUE_KEY_FAMILY.dedupNext]: 'dn:<id>',
  [QUEUE_KEY_FAMILY.scheduler]: 'repeat:<id>',
  [QUEUE_KEY_FAMILY.metrics]: 'metrics:<target>',
};

const QUEUE_FIELD = new Map(Object.entries(QUEUE_KEY).map(([name, suffix]) => [luaFieldName(name), suffix]));

function tokenOfQK(name: string): string | null | undefined {
  if (name === 'metricsData') return 'metrics:<target>:data';
  // the start of a job id (the job hash, left out like every job hash)
  if (name === 'schedulerIteration') return null;
  const suffix = luaQueueKeyTable()[name];
  if (suffix === undefined) return undefined;
  return FAMILY_TOKEN[suffix] ?? suffix;
}

/** Lua source without its comments (they name keys too, in prose). */
export function stripLuaComments(source: string): string {
  return source.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--[^\n]*/g, '');
}

/** The keys a flattened script's code names (QK/JK constants, queueKeys tables, jobSubKeys). */
export function keysInCode(flat: string): Set<string> {
  const code = stripLuaComments(flat);
  const found = new Set<string>();
  for (const [, field] of code.matchAll(/\b[QPJ]\.(\w+)/g)) {
    const suffix = QUEUE_FIELD.get(field);
    if (suffix) found.add(suffix);
  }
  for (const [whole, name] of code.matchAll(/\bQK\.(\w+)/g)) {
    const token = tokenOfQK(name);
    if (token === undefined) throw new Error(`unknown key name ${whole}`);
    if (token !== null) found.add(token);
  }
  for (const [whole, name] of code.matchAll(/\bJK\.(\w+)/g)) {
    if (!(name in JOB_KEY)) throw new Error(`unknown key name ${whole}`);
    found.add(`<job>${JOB_KEY[name as keyof typeof JOB_KEY]}`);
  }
  if (/(?<!function )\bjobSubKeys\(/.test(code)) for (const suffix of Object.values(JOB_KEY)) found.add(`<job>${suffix}`);
  return found;
}

export interface HeaderKeys {
  reads: string[];
  writes: string[];
}

/**
 * The `Reads:` and `Writes:` lists of a script's header comment, item by item: items are
 * separated by commas or semicolons; a note in parentheses may follow an item; a phrase ending
 * with ": " may lead one (`in the parent's queue: wait`) and is dropped here.
 */
export function headerKeys(source: string): HeaderKeys | undefined {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
  if (!header) return undefined;
  const list = (label: string) => {
    const match = new RegExp(`^ *${label}:(.*(?:\\n {3,}\\S.*)*)`, 'm').exec(header);
    if (!match) return undefined;
    const items: string[] = [];
    let depth = 0;
    let current = '';
    for (const c of match[1].replace(/\s+/g, ' ')) {
      if (c === '(') depth++;
      if (c === ')') depth--;
      if ((c === ',' || c === ';') && depth === 0) {
        items.push(current);
        current = '';
      } else current += c;
    }
    items.push(current);
    return items.map((i) => i.trim().replace(/^[^<:]+?: /, '')).filter((i) => i !== '' && i !== 'nothing');
  };
  const reads = list('Reads');
  const writes = list('Writes');
  if (!reads || !writes) return undefined;
  return { reads, writes };
}

const PLAIN = new Set<string>([...Object.values(QUEUE_KEY), ...Object.values(LEGACY_QUEUE_KEY)]);
const JOB_SUFFIXES = new Set<string>(Object.values(JOB_KEY));
/** `<job>:*`: what removing a job deletes beside its hash (its lock expires by itself). */
const REMOVED_WITH_JOB = Object.values(JOB_KEY).filter((suffix) => suffix !== JOB_KEY.lock);

/**
 * What a header item names, as keysInCode's tokens: none for what the code check cannot see (a
 * job hash `<job>`, a state named by an argument `<state>`). An item the caller passes says so in
 * its note (`stalled (KEYS[1])`): `given` holds that name.
 */
export function tokensOfItem(item: string): { tokens: string[]; given?: string } {
  const note = /\(([^)]*)\)$/.exec(item);
  const given = (note && /\b(KEYS|ARGV)\[\d+(\.\.)?\]/.exec(note[1])?.[0]) ?? undefined;
  const name = item.replace(/\s*\([^)]*\)$/, '').trim();
  const result = (tokens: string[]) => (given ? { tokens, given } : { tokens });
  if (/^<[^>]+>$/.test(name)) return result([]);
  if (/^<[^>]+>:\*$/.test(name)) return result(REMOVED_WITH_JOB.map((suffix) => `<job>${suffix}`));
  const sub = /^<[^>]+>(:\w+)$/.exec(name);
  if (sub && JOB_SUFFIXES.has(sub[1])) return result([`<job>${sub[1]}`]);
  if (PLAIN.has(name) || Object.values(FAMILY_TOKEN).includes(name) || name === 'metrics:<target>:data') return result([name]);
  throw new Error(`"${item}" names no key of docs/wire-format.md §1.2, §1.3`);
}
