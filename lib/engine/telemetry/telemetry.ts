import { ConveyorValidationError } from '../core/errors.js';
import type { JobTelemetryOptions } from '../core/job-options.js';
import { show } from '../core/show.js';

/**
 * The `telemetry` option of Queue, Worker and FlowProducer: BullMQ 6's interface, modelled on
 * OpenTelemetry, so an adapter written for BullMQ (e.g. one wrapping an OpenTelemetry tracer)
 * works here unchanged. Span names, kinds and attribute names are BullMQ's, so traces of both
 * engines read alike. The producer's context travels in the job's options (`tm`), and the worker
 * continues the trace from it.
 */

export enum SpanKind {
  INTERNAL = 0,
  SERVER = 1,
  CLIENT = 2,
  PRODUCER = 3,
  CONSUMER = 4,
}

/** BullMQ's attribute names (all of bullmq 6.7's, so code written against its enum compiles). */
export enum TelemetryAttributes {
  QueueName = 'bullmq.queue.name',
  QueueOperation = 'bullmq.queue.operation',
  BulkCount = 'bullmq.job.bulk.count',
  BulkNames = 'bullmq.job.bulk.names',
  JobName = 'bullmq.job.name',
  JobId = 'bullmq.job.id',
  JobKey = 'bullmq.job.key',
  JobIds = 'bullmq.job.ids',
  JobAttemptsMade = 'bullmq.job.attempts.made',
  DeduplicationKey = 'bullmq.job.deduplication.key',
  JobOptions = 'bullmq.job.options',
  JobProgress = 'bullmq.job.progress',
  QueueDrainDelay = 'bullmq.queue.drain.delay',
  QueueGrace = 'bullmq.queue.grace',
  QueueCleanLimit = 'bullmq.queue.clean.limit',
  QueueCleanCount = 'bullmq.queue.clean.count',
  QueueRateLimit = 'bullmq.queue.rate.limit',
  JobType = 'bullmq.job.type',
  QueueOptions = 'bullmq.queue.options',
  QueueEventMaxLength = 'bullmq.queue.event.max.length',
  QueueJobsState = 'bullmq.queue.jobs.state',
  WorkerOptions = 'bullmq.worker.options',
  WorkerName = 'bullmq.worker.name',
  WorkerId = 'bullmq.worker.id',
  WorkerRateLimit = 'bullmq.worker.rate.limit',
  WorkerDoNotWaitActive = 'bullmq.worker.do.not.wait.active',
  WorkerForceClose = 'bullmq.worker.force.close',
  WorkerStalledJobs = 'bullmq.worker.stalled.jobs',
  WorkerFailedJobs = 'bullmq.worker.failed.jobs',
  WorkerJobsToExtendLocks = 'bullmq.worker.jobs.to.extend.locks',
  JobAttemptFinishedTimestamp = 'bullmq.job.attempt_finished_timestamp',
  JobProcessedTimestamp = 'bullmq.job.processed.timestamp',
  JobResult = 'bullmq.job.result',
  JobFailedReason = 'bullmq.job.failed.reason',
  FlowName = 'bullmq.flow.name',
  JobSchedulerId = 'bullmq.job.scheduler.id',
  JobState = 'bullmq.job.state',
}

/** BullMQ's metric names (instruments made through `telemetry.meter`). */
export enum MetricNames {
  QueueJobsCount = 'bullmq.queue.jobs',
  JobsCompleted = 'bullmq.jobs.completed',
  JobsFailed = 'bullmq.jobs.failed',
  JobsDelayed = 'bullmq.jobs.delayed',
  JobsRetried = 'bullmq.jobs.retried',
  JobsWaiting = 'bullmq.jobs.waiting',
  JobsWaitingChildren = 'bullmq.jobs.waiting_children',
  JobDuration = 'bullmq.job.duration',
}

export type AttributeValue =
  string | number | boolean | Array<null | undefined | string> | Array<null | undefined | number> | Array<null | undefined | boolean>;

export interface Attributes {
  [attribute: string]: AttributeValue | undefined;
}

/** An error as spans take it: a message, or an object with at least a code, a name or a message. */
export type Exception = string | { code?: string | number; name?: string; message?: string; stack?: string };

/** An exception a span records, as an object (bullmq's name for the non-string Exception). */
export type ExceptionType = Exclude<Exception, string>;

/** [seconds, nanoseconds], epoch ms, or a Date. */
export type Time = [number, number] | number | Date;

export interface SpanOptions {
  kind: SpanKind;
}

/**
 * OpenTelemetry's status codes: 0 unset, 1 ok, 2 error.
 * @deprecated Conveyor sets no span status, as bullmq 6.7 sets none; kept for type imports.
 */
export interface SpanStatus {
  code: number;
  message?: string;
}

export interface Span<Context = any> {
  /** The given context with this span as its current span (what children and metadata use). */
  setSpanOnContext(context: Context): Context;
  setAttribute(key: string, value: AttributeValue): void;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  recordException(exception: Exception, time?: Time): void;
  /** Spans must be ended to be exported. */
  end(): void;
}

export interface Tracer<Context = any> {
  /** A new span, child of `context` when given, else of the active context. */
  startSpan(name: string, options?: SpanOptions, context?: Context): Span<Context>;
}

export interface ContextManager<Context = any> {
  /** Runs `fn` with `context` active and returns what it returns. */
  with<A extends (...args: any[]) => any>(context: Context, fn: A): ReturnType<A>;
  active(): Context;
  /**
   * Optional: an empty context, detached from the active one. A worker starts the trace of a job
   * that carries no context from it (else from the context active when the worker was made).
   */
  root?(): Context;
  /** Serialises a context, to carry it to another process (stored in the job as `tm`). */
  getMetadata(context: Context): string;
  /** A context continuing the one serialised in `metadata`, derived from `activeContext`. */
  fromMetadata(activeContext: Context, metadata: string): Context;
}

/** Metric instruments' options. */
export interface MetricOptions {
  description?: string;
  /** e.g. 'ms', '1', '{jobs}'. */
  unit?: string;
}

/** A monotonically increasing count. */
export interface Counter {
  add(value: number, attributes?: Attributes): void;
}

/** A distribution of measured values (durations). */
export interface Histogram {
  record(value: number, attributes?: Attributes): void;
}

/** The current value of something that goes up and down (a queue's job counts). */
export interface Gauge {
  record(value: number, attributes?: Attributes): void;
}

/**
 * Makes metric instruments (BullMQ 6's interface, modelled on OpenTelemetry's Meter). Conveyor
 * asks for each instrument once, when it first records with it.
 */
export interface Meter {
  createCounter(name: string, options?: MetricOptions): Counter;
  createHistogram(name: string, options?: MetricOptions): Histogram;
  createGauge(name: string, options?: MetricOptions): Gauge;
}

export interface Telemetry<Context = any> {
  tracer: Tracer<Context>;
  contextManager: ContextManager<Context>;
  /**
   * Optional: with one, workers count the jobs they complete, fail, retry and delay and record how
   * long each took (BullMQ's MetricNames), and `queue.recordJobCountsMetric()` records a gauge.
   */
  meter?: Meter;
}

const CONTEXT_MANAGER_METHODS = ['active', 'with', 'getMetadata', 'fromMetadata'] as const;

/** Checks the shape of a `telemetry` option (`owner` says whose, for the message). */
export function checkTelemetry(value: unknown, owner: string): asserts value is Telemetry | undefined {
  if (value === undefined) return;
  const fail = (what: string, got: unknown): never => {
    throw new ConveyorValidationError(`${owner} option telemetry${what}, got ${show(got)}`);
  };
  if (typeof value !== 'object' || value === null) fail(' must be { tracer, contextManager, meter? }', value);
  const { tracer, contextManager, meter } = value as Record<string, unknown>;
  if (typeof tracer !== 'object' || tracer === null) fail('.tracer must be an object with startSpan()', tracer);
  const startSpan = (tracer as Record<string, unknown>).startSpan;
  if (typeof startSpan !== 'function') fail('.tracer.startSpan must be a function', startSpan);
  if (typeof contextManager !== 'object' || contextManager === null) {
    fail(`.contextManager must be an object with ${CONTEXT_MANAGER_METHODS.join(', ')}`, contextManager);
  }
  for (const method of CONTEXT_MANAGER_METHODS) {
    const fn = (contextManager as Record<string, unknown>)[method];
    if (typeof fn !== 'function') fail(`.contextManager.${method} must be a function`, fn);
  }
  // the instruments are asked for when first used (as BullMQ does): a meter without createGauge
  // serves workers, and only recordJobCountsMetric() would miss it
  if (meter !== undefined && (typeof meter !== 'object' || meter === null)) {
    fail('.meter must be an object with createCounter, createHistogram, createGauge', meter);
  }
}

/** The metadata a stored job carries, if it is one a context can continue from. */
export function storedMetadata(telemetry: unknown): string | undefined {
  const metadata = (telemetry as JobTelemetryOptions | undefined)?.metadata;
  return typeof metadata === 'string' && metadata !== '' ? metadata : undefined;
}

/** One span to start: BullMQ names spans "<operation> <queue>" (kinds and names as it does). */
export interface SpanPlan {
  /** The `bullmq.queue.operation` attribute: add, addBulk, process, addFlow, addNode... */
  operation: string;
  /** @default "<operation> <queue>" */
  name?: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** The `bullmq.queue.name` attribute. @default the Tracing's queue */
  queueName?: string;
  /** Start from this context instead of the active one. */
  parent?: unknown;
  /** Continue this serialised trace (derived from `parent`, or from the active context). */
  parentMetadata?: string;
}

/**
 * Spans of one queue, worker or flow producer. Only made when a `telemetry` option is set:
 * without one, callers hold no Tracing at all and their paths contain no tracing code.
 */
export class Tracing<Context = any> {
  constructor(
    readonly telemetry: Telemetry<Context>,
    readonly queueName: string,
  ) {}

  /**
   * Starts a span: a child of the active context (or of `parent`), or of the trace serialised in
   * `parentMetadata`. The caller ends it. Returns the span and the context it is current in.
   */
  start(plan: SpanPlan): { span: Span<Context>; context: Context } {
    const { tracer, contextManager } = this.telemetry;
    const queueName = plan.queueName ?? this.queueName;
    const name = plan.name ?? `${plan.operation} ${queueName}`;
    const options = { kind: plan.kind ?? SpanKind.INTERNAL };
    let parent = plan.parent === undefined ? contextManager.active() : (plan.parent as Context);
    let span: Span<Context>;
    if (plan.parentMetadata !== undefined) {
      parent = contextManager.fromMetadata(parent, plan.parentMetadata);
      span = tracer.startSpan(name, options, parent);
    } else if (plan.parent !== undefined) {
      span = tracer.startSpan(name, options, parent);
    } else {
      span = tracer.startSpan(name, options);
    }
    span.setAttributes({
      [TelemetryAttributes.QueueName]: queueName,
      [TelemetryAttributes.QueueOperation]: plan.operation,
    });
    return { span, context: span.setSpanOnContext(parent) };
  }

  /**
   * Runs `fn` inside a new span (see start), with the span's context active; `fn` gets the span
   * and that context. A throw is recorded on the span; the span ends either way.
   */
  async trace<T>(plan: SpanPlan, fn: (span: Span<Context>, context: Context) => Promise<T> | T): Promise<T> {
    const { span, context } = this.start(plan);
    try {
      return await this.within(context, () => fn(span, context));
    } catch (err) {
      recordFailure(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** The context serialised, to store in a job as `tm`. */
  metadata(context: Context): string {
    return this.telemetry.contextManager.getMetadata(context);
  }

  /** Runs `fn` with `context` active (nested spans started by `fn` become its children). */
  within<T>(context: Context, fn: () => T): T {
    return this.telemetry.contextManager.with(context, fn);
  }

  /**
   * A context detached from the active one, for work of background loops (lock renewal, the
   * stalled checker) and for jobs without a context of their own: the context manager's root(),
   * or, for one without it, `fallback` (else the active context).
   */
  detached(fallback?: Context): Context {
    const { contextManager } = this.telemetry;
    if (contextManager.root) return contextManager.root();
    return fallback === undefined ? contextManager.active() : fallback;
  }
}

/** Records a thrown value on a span as an exception (what bullmq's spans get on a failed call). */
export function recordFailure(span: Span, err: unknown): void {
  span.recordException(asException(err));
}

/** The thrown value as it is when a span can take it (as BullMQ passes it), else its text as message. */
function asException(err: unknown): Exception {
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null && ('message' in err || 'name' in err || 'code' in err)) return err as Exception;
  return { message: describe(err) };
}

/** A thrown value's message: an Error's, else the value as text. */
export function failureMessage(err: unknown): string {
  return err instanceof Error ? err.message : describe(err);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
