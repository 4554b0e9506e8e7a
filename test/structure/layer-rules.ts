import { findCycles, importGraph, lineCount, type ImportEdge, type SourceTree } from './import-graph.js';

/**
 * The rules `lib/` keeps, as one function from a source tree to the list of what breaks them
 * (sentences naming the files). `layers.spec.ts` runs it on `lib/` and on small made-up trees.
 */

export const ENGINE = 'lib/engine/';

/**
 * The engine's parts, one folder each, lowest first. A part imports only the parts listed for it
 * (any import, `import type` included): dependencies run one way, and a part can be read knowing
 * only those below it.
 */
export const MAY_IMPORT = {
  /** Errors, keys, scripts, option types and their checks and codec, defaults, timing. */
  core: [],
  /** Tracing and metric instruments (OpenTelemetry-shaped); no Redis. */
  telemetry: ['core'],
  /** Redis connections, cluster, ACL, and QueueBase (a named queue's connection and keys). */
  connection: ['core', 'telemetry'],
  /** QueueEvents and QueueEventsProducer: the events stream, which speaks of job ids, not jobs. */
  events: ['core', 'telemetry', 'connection'],
  /** Job, its hash and moves, the add path, dependencies, backoff, metrics. */
  job: ['core', 'telemetry', 'connection', 'events'],
  /** JobScheduler: repeat options, cron times, scheduler iterations. */
  scheduler: ['core', 'telemetry', 'connection', 'events', 'job'],
  /** Queue and its getters, controls and admin operations. */
  queue: ['core', 'telemetry', 'connection', 'events', 'job', 'scheduler'],
  /** FlowProducer and flow trees. */
  flow: ['core', 'telemetry', 'connection', 'events', 'job', 'scheduler'],
  /** Processors given as files, run in child processes or threads. */
  sandbox: ['core', 'telemetry', 'connection', 'events', 'job'],
  /** Worker: fetching, locks, the stalled checker, processing. */
  worker: ['core', 'telemetry', 'connection', 'events', 'job', 'scheduler', 'queue', 'sandbox'],
} as const satisfies Record<string, readonly string[]>;

export type Part = keyof typeof MAY_IMPORT;

/** The engine's doors: what code outside lib/engine may import. */
export const PUBLIC_DOOR = `${ENGINE}index.ts`;
/** Names lib/nest and lib/bull-board need that are no public API (the package exports no such path). */
export const INTERNAL_DOOR = `${ENGINE}internal.ts`;

/** Who may use which door. */
const DOOR_USERS: { prefix: string; doors: string[] }[] = [
  { prefix: 'lib/nest/', doors: [PUBLIC_DOOR, INTERNAL_DOOR] },
  { prefix: 'lib/bull-board/', doors: [PUBLIC_DOOR, INTERNAL_DOOR] },
  { prefix: 'lib/index.ts', doors: [PUBLIC_DOOR] },
];

/** Packages the engine never imports: it knows nothing of Nest or bull-board. */
const ENGINE_FORBIDDEN_PACKAGES = [/^@nestjs\//, /^@bull-board\//, /^reflect-metadata$/, /^rxjs$/];

export const MAX_LINES = 400;

/** The part of an engine file (`lib/engine/<part>/...`), `door` for the doors, undefined elsewhere. */
export function partOf(file: string): Part | 'door' | 'loose' | undefined {
  if (!file.startsWith(ENGINE)) return undefined;
  if (file === PUBLIC_DOOR || file === INTERNAL_DOOR) return 'door';
  const [folder, ...rest] = file.slice(ENGINE.length).split('/');
  if (rest.length === 0 || !(folder in MAY_IMPORT)) return 'loose';
  return folder as Part;
}

function describe(edge: ImportEdge): string {
  return `${edge.from} imports ${edge.type ? 'the types of ' : ''}${edge.to}`;
}

/** Everything in `tree` that breaks the rules; empty when all hold. */
export function structureViolations(tree: SourceTree): string[] {
  const edges = importGraph(tree);
  const problems: string[] = [];

  // no cycle among the imports that run: type-only ones are erased and change no load order
  for (const cycle of findCycles(edges.filter((e) => !e.type))) {
    const others = cycle.files.filter((f) => !cycle.loop.includes(f));
    problems.push(`import cycle: ${cycle.loop.join(' -> ')}${others.length > 0 ? ` (and, in the same knot, ${others.join(', ')})` : ''}`);
  }

  for (const file of tree.files.keys()) {
    const part = partOf(file);
    if (part === 'loose') {
      problems.push(
        `${file} is in no part of the engine: engine files live in lib/engine/<part>/ (${Object.keys(MAY_IMPORT).join(', ')}), besides the two doors`,
      );
    }
    const lines = lineCount(tree.files.get(file)!);
    if (lines > MAX_LINES) problems.push(`${file} has ${lines} lines (at most ${MAX_LINES}): split it along its responsibilities`);
  }

  for (const edge of edges) {
    if (edge.to.startsWith('<unresolved')) {
      problems.push(`${edge.from} imports ${edge.specifier}, which is no file of the tree`);
      continue;
    }
    const fromPart = partOf(edge.from);
    const toPart = partOf(edge.to);
    if (fromPart !== undefined) {
      if (!edge.internal && ENGINE_FORBIDDEN_PACKAGES.some((p) => p.test(edge.to))) {
        problems.push(`${describe(edge)}: the engine never imports NestJS or bull-board`);
      } else if (edge.internal && toPart === undefined) {
        problems.push(`${describe(edge)}: the engine imports nothing outside lib/engine`);
      } else if (edge.from === PUBLIC_DOOR && edge.to === INTERNAL_DOOR) {
        problems.push(`${describe(edge)}: the public door never hands out the internal one`);
      } else if (edge.internal && fromPart !== 'door' && toPart === 'door') {
        problems.push(`${describe(edge)}: engine parts import each other directly, never through a door`);
      } else if (
        edge.internal &&
        isPart(fromPart) &&
        isPart(toPart) &&
        fromPart !== toPart &&
        !(MAY_IMPORT[fromPart] as readonly string[]).includes(toPart)
      ) {
        const allowed = MAY_IMPORT[fromPart].length > 0 ? MAY_IMPORT[fromPart].join(', ') : 'no other part';
        problems.push(`${describe(edge)}: ${fromPart} may import ${allowed}, not ${toPart}`);
      }
    } else if (edge.internal && toPart !== undefined) {
      const users = DOOR_USERS.find((u) => edge.from.startsWith(u.prefix));
      const doors = users?.doors ?? [];
      if (!doors.includes(edge.to)) {
        const how = doors.length > 0 ? `through ${doors.join(' or ')}` : 'not at all';
        problems.push(`${describe(edge)}: ${edge.from} reaches the engine ${how}`);
      }
    }
  }
  return problems;
}

function isPart(part: Part | 'door' | 'loose' | undefined): part is Part {
  return part !== undefined && part !== 'door' && part !== 'loose';
}
