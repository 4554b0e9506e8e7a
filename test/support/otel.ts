// A real OpenTelemetry pipeline for tests, as an application would set one up for bullmq-otel:
// the SDK's tracer and meter providers with in-memory exporters, W3C trace-context propagation
// and an AsyncLocalStorage context manager (what @opentelemetry/sdk-trace-node installs),
// registered as the global providers that bullmq-otel's BullMQOtel reads.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context,
  metrics,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type ContextManager,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** W3C trace context (the `traceparent` header), written here to need no more than the API package. */
class TraceParentPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(ctx);
    if (!span) return;
    setter.set(carrier, 'traceparent', `00-${span.traceId}-${span.spanId}-0${span.traceFlags.toString(16)}`);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const header = getter.get(carrier, 'traceparent');
    const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(Array.isArray(header) ? header[0] : (header ?? ''));
    if (!match) return ctx;
    return trace.setSpanContext(ctx, { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true });
  }
  fields(): string[] {
    return ['traceparent'];
  }
}

/** One data point of an instrument, as compared in tests. */
export interface MetricPoint {
  attributes: Record<string, unknown>;
  /** A counter's or gauge's value; a histogram's count and sum. */
  value: number | { count: number; sum: number };
}

/** An instrument as exported, with its points. */
export interface ExportedMetric {
  name: string;
  /** COUNTER, HISTOGRAM, GAUGE... */
  type: string;
  unit: string;
  description: string;
  points: MetricPoint[];
}

export class OtelHarness {
  private readonly spanExporter = new InMemorySpanExporter();
  private readonly tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.spanExporter)] });
  // cumulative: each read gives the totals so far; exported only when read (the interval is far off)
  private readonly reader = new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMillis: 3_600_000,
  });
  private readonly meterProvider = new MeterProvider({ readers: [this.reader] });

  constructor() {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    propagation.setGlobalPropagator(new TraceParentPropagator());
    trace.setGlobalTracerProvider(this.tracerProvider);
    metrics.setGlobalMeterProvider(this.meterProvider);
  }

  /** Ended spans, oldest first. */
  spans(): ReadableSpan[] {
    return this.spanExporter.getFinishedSpans();
  }

  /** Ended spans of that name. */
  named(name: string): ReadableSpan[] {
    return this.spans().filter((s) => s.name === name);
  }

  /** What was recorded so far, per instrument name: of every meter, or of the meter named `meterName`. */
  async metrics(meterName?: string): Promise<Map<string, ExportedMetric>> {
    const { resourceMetrics } = await this.reader.collect();
    const out = new Map<string, ExportedMetric>();
    for (const scope of resourceMetrics.scopeMetrics) {
      if (meterName !== undefined && scope.scope.name !== meterName) continue;
      for (const m of scope.metrics) {
        const { name, unit, description } = m.descriptor;
        // what the instrument was made as (a counter exports monotonic sums)
        const type =
          m.dataPointType === DataPointType.SUM ? (m.isMonotonic ? 'COUNTER' : 'UP_DOWN_COUNTER') : DataPointType[m.dataPointType];
        const points = (m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]).map((p) => ({
          attributes: p.attributes,
          value:
            typeof p.value === 'number' ? p.value : { count: (p.value as { count: number }).count, sum: (p.value as { sum: number }).sum },
        }));
        const seen = out.get(name);
        if (seen) seen.points.push(...points);
        else out.set(name, { name, type, unit, description, points });
      }
    }
    return out;
  }

  async shutdown(): Promise<void> {
    await this.meterProvider.shutdown();
    await this.tracerProvider.shutdown();
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  }
}

/** A span's parent span id (sdk-trace-base 2 keeps it in parentSpanContext). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function traceOf(span: ReadableSpan): string {
  return span.spanContext().traceId;
}

export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}
