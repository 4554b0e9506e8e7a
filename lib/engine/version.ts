import { readFileSync } from 'node:fs';

/** The package version, read from package.json (one directory above lib/ and dist/). */
export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

/** What the engine writes to `meta.version`, where dashboards show the library of a queue. */
export const LIBRARY_VERSION = `nestjs-conveyor:${VERSION}`;
