import type { JobTelemetryOptions } from '../core/job-options.js';
import { SpanKind, storedMetadata, TelemetryAttributes, type Tracing } from './telemetry.js';

/**
 * A JobScheduler's span, as bullmq 6.7 makes it: `add <queue>.<job name>` (PRODUCER) around the
 * creation of a scheduler iteration, with the scheduler id and the iteration's job id. Made by
 * upserts (after their options were checked: a refused upsert has no span) and by a worker's
 * scheduler when it creates the next iteration (not when the schedule is over: no span then), in
 * the context active there (the worker's own, not the taken job's).
 *
 * The context the iteration carries as `tm`: the one its options carry already (a template's
 * telemetry.metadata, or the taken iteration's own, so every iteration continues the upsert's
 * trace), else the span's unless telemetry.omitContext is set.
 */
export interface SchedulerTracing {
  iteration<J extends { id?: string }>(
    plan: {
      jobName: string;
      schedulerId: string;
      /** The options' telemetry: the template's, or those of the iteration a worker took. */
      telemetry: JobTelemetryOptions | undefined;
    },
    create: (metadata: string | undefined) => Promise<J | undefined>,
  ): Promise<J | undefined>;
}

export function schedulerTracing(tracing: Tracing): SchedulerTracing {
  return {
    iteration: ({ jobName, schedulerId, telemetry }, create) =>
      tracing.trace({ operation: 'add', name: `add ${tracing.queueName}.${jobName}`, kind: SpanKind.PRODUCER }, async (span, context) => {
        span.setAttributes({ [TelemetryAttributes.JobSchedulerId]: schedulerId });
        const carried = storedMetadata(telemetry);
        const job = await create(carried ?? (telemetry?.omitContext === true ? undefined : tracing.metadata(context)));
        span.setAttributes({ [TelemetryAttributes.JobId]: job?.id });
        return job;
      }),
  };
}
