import { SpanKind, TelemetryAttributes, type Tracing } from './telemetry.js';

/**
 * upsertJobScheduler's span, as bullmq 6.7 makes it: `add <queue>.<job name>` (PRODUCER) around
 * the creation of the scheduler's next iteration (after its options were checked: a refused upsert
 * has no span), with the scheduler id and the iteration's job id. The iteration carries the span's
 * context as `tm` unless the template's telemetry.omitContext is set; later iterations carry it on.
 */
export interface SchedulerTracing {
  iteration<J extends { id?: string }>(
    jobName: string,
    schedulerId: string,
    omitContext: boolean,
    create: (metadata: string | undefined) => Promise<J | undefined>,
  ): Promise<J | undefined>;
}

export function schedulerTracing(tracing: Tracing): SchedulerTracing {
  return {
    iteration: (jobName, schedulerId, omitContext, create) =>
      tracing.trace({ operation: 'add', name: `add ${tracing.queueName}.${jobName}`, kind: SpanKind.PRODUCER }, async (span, context) => {
        span.setAttributes({ [TelemetryAttributes.JobSchedulerId]: schedulerId });
        const job = await create(omitContext ? undefined : tracing.metadata(context));
        span.setAttributes({ [TelemetryAttributes.JobId]: job?.id });
        return job;
      }),
  };
}
