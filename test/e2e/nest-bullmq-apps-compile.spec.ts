import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { CONVEYOR_DIR, writeConveyorCopies } from './support/bullmq-apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// The other half of "only the imports change": the apps of bullmq-apps/ compile against
// @nestjs/bullmq (npm run typecheck), and their copies with imports rewritten to 'nestjs-conveyor'
// must compile against Conveyor's types (the built package: run `npm run build` first, as npm test does).

afterAll(() => {
  rmSync(CONVEYOR_DIR, { recursive: true, force: true });
});

it('every @nestjs/bullmq app, with only its imports changed, type-checks against nestjs-conveyor', () => {
  const copies = writeConveyorCopies();
  expect(copies.length).toBeGreaterThanOrEqual(9);
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram(copies, { ...config!.options, noEmit: true });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(problems).toEqual([]);
}, 120_000);
