import { ContextIdFactory, type ContextId, type ModuleRef } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';

/**
 * Gives the instance of a processor or listener to use for a job or an event. A singleton is used
 * as it is; a request-scoped or transient provider (or one that depends on such) is resolved in a
 * fresh DI context per job, with the job registered as the context's request (`@Inject(REQUEST)`),
 * and the events of that job reach the same instance.
 */
export class InstanceResolver {
  readonly isStatic: boolean;
  private readonly contexts = new WeakMap<object, ContextId>();

  constructor(
    private readonly wrapper: InstanceWrapper,
    private readonly moduleRef: ModuleRef,
    private readonly onResolved: (instance: object) => void = () => {},
  ) {
    this.isStatic = wrapper.isDependencyTreeStatic() && !wrapper.isTransient;
  }

  /** The singleton instance (only for static providers). */
  get instance(): object {
    return this.wrapper.instance as object;
  }

  /** The instance for `subject` (a job, or undefined for events of no job). */
  resolve(subject?: unknown): object | Promise<object> {
    if (this.isStatic) return this.instance;
    return this.resolveScoped(subject);
  }

  private async resolveScoped(subject: unknown): Promise<object> {
    const key = typeof subject === 'object' && subject !== null ? subject : undefined;
    let contextId = key && this.contexts.get(key);
    if (!contextId) {
      // by request, so a ContextIdStrategy (durable providers) applies to jobs as to HTTP requests
      contextId = ContextIdFactory.getByRequest(key ?? {});
      this.moduleRef.registerRequestByContextId(key ?? {}, contextId);
      if (key) this.contexts.set(key, contextId);
    }
    const instance = (await this.moduleRef.resolve(this.wrapper.token, contextId, { strict: false })) as object;
    this.onResolved(instance);
    return instance;
  }
}
