import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConveyorValidationError } from '../core/errors.js';
import { show } from '../core/show.js';

/**
 * The script every sandbox child starts with. It sits next to this module in lib/ and in dist/
 * (the build copies it there), so the same relative URL finds it in both.
 */
export const CHILD_ENTRY = new URL('./child-entry.mjs', import.meta.url);

/** A processor given as a file: the absolute path (for messages) and the URL the child imports. */
export interface ProcessorFile {
  path: string;
  url: string;
}

/** True for what Worker accepts as a processor file: a path string or a URL object. */
export function isProcessorFile(processor: unknown): processor is string | URL {
  return typeof processor === 'string' || processor instanceof URL;
}

/**
 * Checks a processor file at Worker construction, so a typo fails at once and not at the first
 * job. A relative path is taken from the current directory, as Node's own tools do.
 */
export function resolveProcessorFile(processor: string | URL): ProcessorFile {
  let path: string;
  if (processor instanceof URL) {
    if (processor.protocol !== 'file:') {
      throw new ConveyorValidationError(`processor URL must be a file: URL, got ${processor.href}`);
    }
    path = fileURLToPath(processor);
  } else {
    if (processor.trim() === '') throw new ConveyorValidationError(`processor file path must not be empty, got ${show(processor)}`);
    path = resolve(processor);
  }
  if (!existsSync(path)) {
    throw new ConveyorValidationError(`processor file ${path} does not exist (processor: ${show(String(processor))})`);
  }
  if (!statSync(path).isFile()) {
    throw new ConveyorValidationError(`processor file ${path} is not a file (processor: ${show(String(processor))})`);
  }
  if (!existsSync(CHILD_ENTRY)) {
    // a build that left the entry behind: say so plainly instead of failing every job
    throw new Error(`sandboxed processors need ${fileURLToPath(CHILD_ENTRY)}, which is missing from this installation of nestjs-conveyor`);
  }
  return { path, url: pathToFileURL(path).href };
}
