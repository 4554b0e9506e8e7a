// Types of chromium.mjs for the TypeScript tests.
export const CHROMIUM_PATHS: readonly string[];
export function findChromium(env?: NodeJS.ProcessEnv, paths?: readonly string[]): string | undefined;
