import { readFileSync } from 'node:fs';

/** The package version, read from package.json (one directory above lib/ and dist/). */
export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

/**
 * What the engine writes to `meta.version`, where dashboards show the library of a queue. It names
 * the BullMQ family first, as BullMQ Pro does with `bullmq-pro:<version>`: tools and code that tell
 * BullMQ queues by `version.startsWith('bullmq')` (BullMQ's own tests among them) keep doing so,
 * and the rest of the name says which library wrote it.
 */
export const LIBRARY_VERSION = `bullmq-conveyor:${VERSION}`;
