// The engine's second door, for lib/nest and lib/bull-board only: what they need that is no public
// API. The package exports no path to this file; public names come through index.ts.
export { closeConnection, describeServer, openConnection, redact } from './connection/connection.js';
export type { HeldConnection } from './connection/connection.js';
export { DEFAULT_PREFIX } from './core/defaults.js';
export { validateJobOptions } from './core/job-options-validation.js';
export { show } from './core/show.js';
export { checkInteger, checkPrefix, checkQueueName } from './core/validation.js';
