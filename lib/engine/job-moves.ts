// Until the worker's files move (they import this path): what job-moves.ts held is now split by
// responsibility in job/.
export * from './job/failure-plan.js';
export * from './job/fetch-reply.js';
export * from './job/finish-args.js';
export * from './job/job-data.js';
export * from './job/move-settings.js';
export * from './job/moves-by-hand.js';
export * from './job/processor-signals.js';
export { scheduleNextIterations } from './job/next-iteration.js';
