import type { Exception } from '../telemetry/telemetry.js';

/** An exception a span records, as an object (bullmq's name for the non-string Exception). */
export type ExceptionType = Exclude<Exception, string>;
