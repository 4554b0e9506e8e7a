// Reading a scrape as Prometheus would: a real text-format parser (parse-prometheus-text-format),
// plus the rule it leaves to the server (each metric family described once, all its samples
// together).
import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';

export type { PrometheusFamily };

/** The exposition's families; throws when one is described twice, as a Prometheus server refuses it. */
export function parseExposition(text: string): PrometheusFamily[] {
  const families = parsePrometheusTextFormat(text.split('\n').map(withoutBlanksInLabels).join('\n'));
  const names = families.map((f) => f.name);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0) throw new Error(`metric families described more than once: ${[...new Set(repeated)].join(', ')}`);
  return families;
}

/**
 * The format lets blanks stand between the tokens of a label set, and bullmq prints one after each
 * comma (`{queue="q", state="waiting"}`); Prometheus' own parser skips them, but this one refuses
 * the line. Only those blanks go (never one inside a quoted value, nor anything else), so the
 * parser still judges everything else.
 */
function withoutBlanksInLabels(line: string): string {
  if (line.startsWith('#')) return line;
  const open = line.indexOf('{');
  if (open < 0) return line;
  let out = line.slice(0, open + 1);
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      out += c;
      if (c === '\\') out += line[++i] ?? '';
      else if (c === '"') quoted = false;
    } else if (c === '}') {
      return out + line.slice(i);
    } else {
      if (c === '"') quoted = true;
      if (c !== ' ' && c !== '\t') out += c;
    }
  }
  return out;
}

/** One value per series of `family`, keyed by the labels given (e.g. queue and state). */
export function valuesBy(families: PrometheusFamily[], family: string, ...labels: string[]): Record<string, number> {
  const found = families.find((f) => f.name === family);
  if (!found) throw new Error(`no family ${family} in the exposition (families: ${families.map((f) => f.name).join(', ')})`);
  const out: Record<string, number> = {};
  for (const metric of found.metrics) {
    const key = labels.map((l) => metric.labels?.[l] ?? '').join('/');
    if (key in out) throw new Error(`${family}: two series for ${key}`);
    out[key] = Number(metric.value);
  }
  return out;
}
