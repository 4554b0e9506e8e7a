import { recordFailure, type Attributes, type SpanKind, type Span, type Tracing } from './telemetry.js';

/**
 * Spans around the public calls of one instance (queue.pause(), worker.close(), ...), put in place
 * on that instance when it has telemetry: the classes' own code stays free of tracing, and an
 * instance without telemetry runs exactly the code it ran before. Each wrapper stays a plain,
 * writable property, so tests can still stub or spy on the method. A tracer that fails to start a
 * span is reported and the call runs untraced: background calls (the stalled checker, lock
 * renewal) must go on whatever the tracer does.
 */

/** How one call is traced: the span's operation and kind, and its attributes from the arguments. */
export interface CallPlan<A extends unknown[], R> {
  operation: string;
  kind?: SpanKind;
  /** Attributes known before the call, from its arguments. */
  before?: (...args: A) => Attributes;
  /** Attributes and events from what the call resolved with. */
  after?: (span: Span, result: R, ...args: A) => void;
  /** Start from this context rather than the active one (background loops use a detached one). */
  parent?: () => unknown;
  /** Continue this serialised trace (a job's `tm`). */
  parentMetadata?: string;
}

type Method<A extends unknown[], R> = (this: unknown, ...args: A) => R;

export class CallTracer {
  constructor(
    readonly tracing: Tracing,
    private readonly report: (err: unknown) => void,
    /** Attributes every span of this instance gets first (a worker's id and name). */
    private readonly common: () => Attributes = () => ({}),
  ) {}

  /** Replaces `target[key]` (an async method) by one that runs it inside a span. */
  async<A extends unknown[], R>(target: object, key: string, plan: CallPlan<A, R>): void {
    const original = (target as Record<string, unknown>)[key] as Method<A, Promise<R>>;
    const self = this;
    replace(target, key, function traced(this: unknown, ...args: A): Promise<R> {
      const started = self.open(plan, args);
      if (!started) return original.apply(this, args);
      const { span, context } = started;
      return (async () => {
        try {
          const result = await self.tracing.within(context, () => original.apply(this, args));
          plan.after?.(span, result, ...args);
          return result;
        } catch (err) {
          recordFailure(span, err);
          throw err;
        } finally {
          span.end();
        }
      })();
    });
  }

  /** As async(), for a method that returns at once (worker.resume()). */
  sync<A extends unknown[], R>(target: object, key: string, plan: CallPlan<A, R>): void {
    const original = (target as Record<string, unknown>)[key] as Method<A, R>;
    const self = this;
    replace(target, key, function traced(this: unknown, ...args: A): R {
      const started = self.open(plan, args);
      if (!started) return original.apply(this, args);
      const { span, context } = started;
      try {
        return self.tracing.within(context, () => original.apply(this, args));
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    });
  }

  /** The call's span with its first attributes, or undefined (reported) when the tracer failed. */
  open<A extends unknown[], R>(plan: CallPlan<A, R>, args: A): { span: Span; context: unknown } | undefined {
    try {
      const started = this.tracing.start({
        operation: plan.operation,
        kind: plan.kind,
        parent: plan.parent?.(),
        parentMetadata: plan.parentMetadata,
      });
      started.span.setAttributes({ ...this.common(), ...plan.before?.(...args) });
      return started;
    } catch (err) {
      this.report(err);
      return undefined;
    }
  }
}

/** Puts `fn` in place of `target[key]` as an own, writable property (sinon can still stub it). */
export function replace(target: object, key: string, fn: (...args: any[]) => unknown): void {
  Object.defineProperty(target, key, { value: fn, writable: true, configurable: true, enumerable: false });
}
