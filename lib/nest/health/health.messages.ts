// Sentences the health indicator reports, as functions of what they name.

export const REDIS_UNREACHABLE = (server: string, detail: string) => `Redis at ${server} is unreachable: ${detail}`;

export const NO_ANSWER = (what: string, timeoutMs: number) => `${what} did not answer within ${timeoutMs} ms`;

export const WORKER_NOT_RUNNING = (queue: string, state: string) => `worker of queue "${queue}" is ${state}`;

export const QUEUE_NOT_REGISTERED_HERE = (queue: string, configKey: string) =>
  `queue "${queue}" is not registered on connection "${configKey}"`;

export const TOO_MANY_WAITING = (queue: string, waiting: number, max: number) =>
  `queue "${queue}" has ${waiting} waiting jobs (more than ${max})`;

export const TOO_MANY_FAILED = (queue: string, failed: number, max: number, minutes: number) =>
  `queue "${queue}" had ${failed} failed jobs in the last ${minutes} minutes (more than ${max})`;
