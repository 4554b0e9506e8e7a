// Until the worker's files move (they import this path): the file is now telemetry/telemetry.ts.
export * from './telemetry/telemetry.js';
