// Until the worker's files move (they import this path): the file is now queue/admin.ts.
export * from './queue/admin.js';
export { checkBoolean as checkBooleanArg, checkOptionsObject } from './core/validation.js';
