// An in-memory tracer with the `telemetry` interface of BullMQ 6 and Conveyor: it records spans
// (name, kind, parent, attributes, events, exceptions, status) and counts every call made to it.
// The active context lives in AsyncLocalStorage, as with OpenTelemetry's Node context manager, so
// spans started inside a processor nest under its span.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

export interface Ctx {
  traceId?: string;
  spanId?: string;
}

export interface RecordedSpan {
  id: string;
  traceId: string;
  parentId: string | undefined;
  name: string;
  kind: number | undefined;
  /** The context argument startSpan got (undefined = none: the active one was used). */
  explicitContext: Ctx | undefined;
  attributes: Record<string, unknown>;
  events: { name: string; attributes?: Record<string, unknown> }[];
  exceptions: unknown[];
  status: { code: number; message?: string } | undefined;
  ended: boolean;
}

/** Emits 'start' and 'end' with the RecordedSpan. */
export class RecordingTelemetry extends EventEmitter {
  readonly spans: RecordedSpan[] = [];
  /** Every call to the tracer, the context manager or a span. */
  calls = 0;
  private readonly storage = new AsyncLocalStorage<Ctx>();
  private counter = 0;

  constructor(private readonly label: string) {
    super();
  }

  readonly tracer = {
    startSpan: (name: string, options?: { kind: number }, context?: Ctx) => {
      this.calls += 1;
      const parent = context ?? this.contextManager.active();
      this.counter += 1;
      const span: RecordedSpan = {
        id: `${this.label}-${this.counter}`,
        traceId: parent.traceId ?? randomUUID(),
        parentId: parent.spanId,
        name,
        kind: options?.kind,
        explicitContext: context,
        attributes: {},
        events: [],
        exceptions: [],
        status: undefined,
        ended: false,
      };
      this.spans.push(span);
      this.emit('start', span);
      return this.handle(span);
    },
  };

  readonly contextManager = {
    active: (): Ctx => {
      this.calls += 1;
      return this.storage.getStore() ?? {};
    },
    with: <A extends (...args: any[]) => any>(context: Ctx, fn: A): ReturnType<A> => {
      this.calls += 1;
      return this.storage.run(context, fn);
    },
    getMetadata: (context: Ctx): string => {
      this.calls += 1;
      return JSON.stringify({ traceId: context.traceId, spanId: context.spanId });
    },
    fromMetadata: (_active: Ctx, metadata: string): Ctx => {
      this.calls += 1;
      return JSON.parse(metadata) as Ctx;
    },
  };

  private handle(span: RecordedSpan) {
    const count = () => {
      this.calls += 1;
      if (span.ended) throw new Error(`span ${span.name} (${span.id}) used after end()`);
    };
    return {
      setSpanOnContext: (ctx: Ctx): Ctx => {
        count();
        return { ...ctx, traceId: span.traceId, spanId: span.id };
      },
      setAttribute: (key: string, value: unknown) => {
        count();
        span.attributes[key] = value;
      },
      setAttributes: (attributes: Record<string, unknown>) => {
        count();
        Object.assign(span.attributes, attributes);
      },
      addEvent: (name: string, attributes?: Record<string, unknown>) => {
        count();
        span.events.push({ name, attributes });
      },
      recordException: (exception: unknown) => {
        count();
        span.exceptions.push(exception);
      },
      setStatus: (status: { code: number; message?: string }) => {
        count();
        span.status = status;
      },
      end: () => {
        count();
        span.ended = true;
        this.emit('end', span);
      },
    };
  }

  /** The span of that name, failing if there is not exactly one. */
  one(name: string): RecordedSpan {
    const found = this.spans.filter((s) => s.name === name);
    if (found.length !== 1)
      throw new Error(`expected one span "${name}", found ${found.length}: ${this.spans.map((s) => s.name).join(', ')}`);
    return found[0];
  }

  named(name: string): RecordedSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  /** The context a span made current, serialised as the job's `tm` would carry it. */
  static metadataOf(span: RecordedSpan): string {
    return JSON.stringify({ traceId: span.traceId, spanId: span.id });
  }
}
