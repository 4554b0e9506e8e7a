// A processor given as a file is checked when the Worker is made: a bad path, URL or option throws
// at once, naming it, before anything connects.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConveyorValidationError, Worker } from '../../lib/index.js';
import { uniqueName } from '../support/redis.js';
import { fixture } from './sandbox-support.js';

describe('sandboxed processor checks at Worker construction', () => {
  const name = uniqueName('sbx-check');

  it('a missing file is named, absolute or relative', () => {
    const missing = fixture('no-such-processor.cjs');
    expect(() => new Worker(name, missing)).toThrow(ConveyorValidationError);
    expect(() => new Worker(name, missing)).toThrow(`processor file ${missing} does not exist (processor: ${JSON.stringify(missing)})`);
    expect(() => new Worker(name, 'jobs/missing.js')).toThrow(
      `processor file ${resolve('jobs/missing.js')} does not exist (processor: "jobs/missing.js")`,
    );
    expect(() => new Worker(name, pathToFileURL(missing))).toThrow(`processor file ${missing} does not exist`);
  });

  it('a directory, an empty path and a URL that is not file: are refused', () => {
    const dir = resolve(fixture('processor.cjs'), '..');
    expect(() => new Worker(name, dir)).toThrow(`processor file ${dir} is not a file`);
    expect(() => new Worker(name, '  ')).toThrow('processor file path must not be empty, got "  "');
    expect(() => new Worker(name, new URL('https://example.com/processor.js'))).toThrow(
      'processor URL must be a file: URL, got https://example.com/processor.js',
    );
  });

  it('a processor that is neither a function nor a file is refused', () => {
    expect(() => new Worker(name, 42 as never)).toThrow('processor must be a function, a file path or a file: URL, got 42');
    expect(() => new Worker(name, { process: () => 1 } as never)).toThrow(/processor must be a function, a file path or a file: URL/);
  });

  it('bad sandbox options name the option and the value', () => {
    const file = fixture('processor.cjs');
    expect(() => new Worker(name, file, { useWorkerThreads: 'yes' as never })).toThrow('useWorkerThreads must be a boolean, got "yes"');
    expect(() => new Worker(name, file, { workerForkOptions: 5 as never })).toThrow('workerForkOptions must be an options object, got 5');
    expect(() => new Worker(name, file, { workerThreadsOptions: [] as never })).toThrow(
      'workerThreadsOptions must be an options object, got []',
    );
  });
});
