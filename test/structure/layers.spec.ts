import { fileURLToPath } from 'node:url';
import { readTree, type SourceTree } from './import-graph.js';
import { MAX_LINES, structureViolations } from './layer-rules.js';

// lib/ as layer-rules.ts describes it: engine parts in folders importing one way, no import cycle,
// the engine reached from outside only through its doors, no file over MAX_LINES lines.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function tree(files: Record<string, string>): SourceTree {
  return { files: new Map(Object.entries(files)) };
}

describe('the structure of lib/', () => {
  it('keeps every rule of layer-rules.ts', () => {
    expect(structureViolations(readTree(ROOT, 'lib'))).toEqual([]);
  });
});

describe('the structure check', () => {
  const sound = {
    'lib/engine/core/errors.ts': 'export class E extends Error {}\n',
    'lib/engine/job/job.ts': "import { E } from '../core/errors.js';\nexport class Job { e = E; }\n",
    'lib/engine/queue/queue.ts': "import { Job } from '../job/job.js';\nexport class Queue { j = Job; }\n",
    'lib/engine/index.ts': "export { Queue } from './queue/queue.js';\n",
    'lib/engine/internal.ts': "export { E } from './core/errors.js';\n",
    'lib/nest/module.ts':
      "import { Queue } from '../engine/index.js';\nimport { E } from '../engine/internal.js';\nexport const m = [Queue, E];\n",
    'lib/index.ts': "export * from './engine/index.js';\n",
  };

  it('passes a tree that keeps the rules', () => {
    expect(structureViolations(tree(sound))).toEqual([]);
  });

  it('fails a wrong-way import between parts, type-only ones included', () => {
    const wrong = {
      ...sound,
      'lib/engine/job/job.ts': "import type { Queue } from '../queue/queue.js';\nexport class Job { q?: Queue; }\n",
    };
    expect(structureViolations(tree(wrong))).toEqual([
      'lib/engine/job/job.ts imports the types of lib/engine/queue/queue.ts: job may import core, telemetry, connection, events, not queue',
    ]);
  });

  it('fails a cycle of imports that run, also through a dynamic import, and allows one of types within a part', () => {
    const cycle = {
      ...sound,
      'lib/engine/job/moves.ts': "import { Job } from './job.js';\nexport const moves = () => Job;\n",
      'lib/engine/job/job.ts': "export class Job { static m = () => import('./moves.js'); }\n",
    };
    expect(structureViolations(tree(cycle))).toEqual([
      'import cycle: lib/engine/job/job.ts -> lib/engine/job/moves.ts -> lib/engine/job/job.ts',
    ]);
    const typesOnly = {
      ...cycle,
      'lib/engine/job/moves.ts': "import type { Job } from './job.js';\nexport const moves = (j: Job) => j;\n",
    };
    expect(structureViolations(tree(typesOnly))).toEqual([]);
  });

  it('fails engine internals imported from outside the engine but through the doors', () => {
    const bypass = { ...sound, 'lib/nest/module.ts': "import { Job } from '../engine/job/job.js';\nexport const m = Job;\n" };
    expect(structureViolations(tree(bypass))).toEqual([
      'lib/nest/module.ts imports lib/engine/job/job.ts: lib/nest/module.ts reaches the engine through lib/engine/index.ts or lib/engine/internal.ts',
    ]);
    const rootInternal = { ...sound, 'lib/index.ts': "export * from './engine/internal.js';\n" };
    expect(structureViolations(tree(rootInternal))).toEqual([
      'lib/index.ts imports lib/engine/internal.ts: lib/index.ts reaches the engine through lib/engine/index.ts',
    ]);
  });

  it('fails an engine file that imports NestJS, bull-board or the Nest layer, or lies outside the parts', () => {
    const nest = {
      ...sound,
      'lib/engine/queue/queue.ts':
        "import { Injectable } from '@nestjs/common';\nimport type { Board } from '@bull-board/api';\nexport const q = Injectable;\n",
      'lib/engine/job/job.ts': "import '../../nest/module.js';\nexport class Job {}\n",
      'lib/engine/helpers.ts': 'export const h = 1;\n',
    };
    expect(structureViolations(tree(nest))).toEqual([
      'lib/engine/helpers.ts is in no part of the engine: engine files live in lib/engine/<part>/ (core, telemetry, connection, events, job, scheduler, queue, flow, sandbox, worker), besides the two doors',
      'lib/engine/job/job.ts imports lib/nest/module.ts: the engine imports nothing outside lib/engine',
      'lib/engine/queue/queue.ts imports @nestjs/common: the engine never imports NestJS or bull-board',
      'lib/engine/queue/queue.ts imports the types of @bull-board/api: the engine never imports NestJS or bull-board',
    ]);
  });

  it(`fails a file over ${MAX_LINES} lines`, () => {
    const long = { ...sound, 'lib/engine/core/errors.ts': 'export const x = 1;\n'.repeat(MAX_LINES + 1) };
    expect(structureViolations(tree(long))).toEqual([
      `lib/engine/core/errors.ts has ${MAX_LINES + 1} lines (at most ${MAX_LINES}): split it along its responsibilities`,
    ]);
  });
});
