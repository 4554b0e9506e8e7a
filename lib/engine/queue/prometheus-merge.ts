/**
 * One Prometheus exposition out of several (Conveyor's own; bullmq has none). Each queue's
 * `exportPrometheusMetrics()` prints the same metric families with their own HELP and TYPE
 * lines, so a plain concatenation repeats them: Prometheus' text format wants each family's
 * HELP and TYPE once, and all of its samples together, and refuses the scrape otherwise.
 */

/** The content type of the text exposition format that `exportPrometheusMetrics` prints. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  help?: string;
  type?: string;
  samples: string[];
}

/** `name` of a HELP or TYPE line: `# HELP name text`, `# TYPE name type`. */
const DESCRIPTOR = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/;
/** The metric name a sample line starts with. */
const SAMPLE_NAME = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/;

/**
 * Merges expositions into one: each family's HELP and TYPE once, then its samples from every
 * input in the order given; ends with a line feed, as the format requires. Comments other than
 * HELP and TYPE are dropped. Throws when two inputs give the same series (the same name and
 * labels: Prometheus would refuse the scrape) or one family two different types.
 */
export function mergePrometheusMetrics(expositions: readonly string[]): string {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { samples: [] }));
    return found;
  };

  for (const text of expositions) {
    // a sample belongs to the family its input last described, if its name extends that
    // family's (a histogram's _bucket, _sum and _count), else to a family of its own name
    let current: string | undefined;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '') continue;
      if (line.startsWith('#')) {
        const match = DESCRIPTOR.exec(line);
        if (!match) continue;
        const [, kind, name, rest = ''] = match;
        current = name;
        const target = family(name);
        if (kind === 'HELP') target.help ??= rest;
        else if (target.type === undefined) target.type = rest;
        else if (target.type !== rest) throw new Error(`metric family ${name} has two types: ${target.type} and ${rest}`);
        continue;
      }
      const name = SAMPLE_NAME.exec(line)?.[1];
      if (name === undefined) throw new Error(`not a Prometheus sample line: ${line}`);
      const key = seriesOf(line, name);
      if (series.has(key)) throw new Error(`the series ${key} appears twice: two sources export the same metric with the same labels`);
      series.add(key);
      const owner = current !== undefined && (name === current || name.startsWith(`${current}_`)) ? current : name;
      family(owner).samples.push(line);
    }
  }

  const lines: string[] = [];
  for (const [name, { help, type, samples }] of families) {
    if (help !== undefined) lines.push(`# HELP ${name} ${help}`);
    if (type !== undefined) lines.push(`# TYPE ${name} ${type}`);
    lines.push(...samples);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** A sample line's name and label set, `name{a="1", b="2"}`: the series it adds a value to. */
function seriesOf(line: string, name: string): string {
  if (line[name.length] !== '{') return name;
  let quoted = false;
  for (let i = name.length + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      // an escaped character (\\, \", \n) never ends the value
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return line.slice(0, i + 1);
  }
  throw new Error(`not a Prometheus sample line (its labels never close): ${line}`);
}
