import { checkJobTelemetry } from '../core/job-options-validation.js';
import type { JobTelemetryOptions } from '../core/job-options.js';
import { SpanKind, TelemetryAttributes, type Span, type Tracing } from './telemetry.js';

/**
 * Producer spans (BullMQ's names and kinds): `add <queue>.<job name>` / `addBulk <queue>` for
 * Queue, `addFlow <root queue>` / `addBulkFlows` with one `addNode <queue>` per job for
 * FlowProducer. Each job gets the metadata of its span's context as `opts.telemetry.metadata`
 * (stored as `tm`) unless its `telemetry.omitContext` is set, so the worker continues the trace.
 *
 * Input is copied, never changed; anything malformed is passed on as it is, for the add's own
 * validation to name it.
 */

type Options = Record<string, unknown> & { telemetry?: unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `opts` with the context's metadata in `telemetry.metadata` (which replaces one the caller set, as
 * in BullMQ), or undefined when the options say to omit the context or are not an object.
 */
function withMetadata(opts: unknown, defaults: JobTelemetryOptions | undefined, metadata: () => string): Options | undefined {
  if (opts !== undefined && !isPlainObject(opts)) return undefined;
  const own = (opts as Options | undefined)?.telemetry;
  // refused here, before the caller's value would be replaced
  checkJobTelemetry(own);
  const telemetry = (own as JobTelemetryOptions | undefined) ?? defaults;
  if (telemetry?.omitContext === true) return undefined;
  return { ...(opts as Options | undefined), telemetry: { ...telemetry, metadata: metadata() } };
}

interface JobInput {
  name: unknown;
  opts?: unknown;
}

/**
 * Queue.add / addBulk inside a producer span. `write` adds the jobs (validation included) and
 * resolves with them.
 */
export function tracedAdds<J extends JobInput, R extends { id?: string }>(
  tracing: Tracing,
  queueName: string,
  defaults: JobTelemetryOptions | undefined,
  write: (jobs: J[]) => Promise<R[]>,
): (jobs: J[], bulk: boolean) => Promise<R[]> {
  return (jobs, bulk) => {
    const plan = bulk
      ? { operation: 'addBulk', name: `addBulk ${queueName}`, kind: SpanKind.PRODUCER }
      : { operation: 'add', name: `add ${queueName}.${String(jobs[0]?.name)}`, kind: SpanKind.PRODUCER };
    return tracing.trace(plan, async (span, context) => {
      // one context for the whole call: every job of a bulk continues the same span
      let metadata: string | undefined;
      const once = () => (metadata ??= tracing.metadata(context));
      const carried = jobs.map((job) => {
        if (!isPlainObject(job)) return job;
        const opts = withMetadata(job.opts, defaults, once);
        return opts ? { ...job, opts } : job;
      });
      const added = await write(carried);
      span.setAttributes(
        bulk
          ? { [TelemetryAttributes.BulkNames]: jobs.map((j) => String(j.name)), [TelemetryAttributes.BulkCount]: jobs.length }
          : { [TelemetryAttributes.JobName]: String(jobs[0].name), [TelemetryAttributes.JobId]: added[0]?.id },
      );
      return added;
    });
  };
}

interface FlowInput {
  name?: unknown;
  queueName?: unknown;
  opts?: unknown;
  children?: unknown;
}

interface AddedNode {
  job: { id?: string; name: string };
  children?: AddedNode[];
}

/** A node's span, waiting for the flow's write to say how it went. */
interface OpenNode {
  span: Span;
  children: OpenNode[];
}

/** FlowProducer's per-queue defaults, as far as telemetry goes. */
type QueuesDefaults = Record<string, { defaultJobOptions?: { telemetry?: JobTelemetryOptions } } | undefined>;

/**
 * FlowProducer.add / addBulk inside an `addFlow` (or `addBulkFlows`) span, with an `addNode` span
 * per job, each a child of its parent job's span. The node spans end once the flow is written.
 */
export function tracedFlows<Q extends QueuesDefaults, R extends AddedNode>(
  tracing: Tracing,
  write: (flows: unknown[], bulk: boolean, queuesOptions: Q) => Promise<R[]>,
): (flows: unknown[], bulk: boolean, queuesOptions: Q) => Promise<R[]> {
  const openNode = (node: unknown, opened: OpenNode[], queuesOptions: Q): unknown => {
    if (!isPlainObject(node)) return node;
    const flowNode = node as FlowInput;
    const queueName = String(flowNode.queueName);
    const { span, context } = tracing.start({ operation: 'addNode', name: `addNode ${queueName}`, kind: SpanKind.PRODUCER, queueName });
    const open: OpenNode = { span, children: [] };
    opened.push(open);
    const copy: Record<string, unknown> = { ...node };
    const defaults = queuesOptions[queueName]?.defaultJobOptions?.telemetry;
    const opts = withMetadata(flowNode.opts, defaults, () => tracing.metadata(context));
    if (opts) copy.opts = opts;
    const children = flowNode.children;
    if (Array.isArray(children)) {
      copy.children = tracing.within(context, () => children.map((child) => openNode(child, open.children, queuesOptions)));
    }
    return copy;
  };

  const closeNodes = (opened: OpenNode[], added: AddedNode[] | undefined): void => {
    opened.forEach((open, i) => {
      const node = added?.[i];
      closeNodes(open.children, node?.children);
      if (node) {
        open.span.setAttributes({ [TelemetryAttributes.JobName]: node.job.name, [TelemetryAttributes.JobId]: node.job.id });
      }
      open.span.end();
    });
  };

  return (flows, bulk, queuesOptions) => {
    const first = flows[0] as FlowInput | undefined;
    const plan = bulk
      ? { operation: 'addBulkFlows', name: 'addBulkFlows', kind: SpanKind.PRODUCER, queueName: '' }
      : { operation: 'addFlow', name: `addFlow ${String(first?.queueName)}`, kind: SpanKind.PRODUCER, queueName: String(first?.queueName) };
    return tracing.trace(plan, async (span) => {
      span.setAttributes(
        bulk
          ? {
              [TelemetryAttributes.BulkCount]: flows.length,
              [TelemetryAttributes.BulkNames]: flows.map((f) => String((f as FlowInput | null)?.name)).join(','),
            }
          : { [TelemetryAttributes.FlowName]: String(first?.name) },
      );
      const opened: OpenNode[] = [];
      let added: R[] | undefined;
      try {
        const carried = flows.map((flow) => openNode(flow, opened, queuesOptions));
        added = await write(carried, bulk, queuesOptions);
        return added;
      } finally {
        // a refused flow is recorded once, on the flow's span (as bullmq records a refused write)
        closeNodes(opened, added);
      }
    });
  };
}
