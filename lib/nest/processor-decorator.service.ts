import { Injectable } from '@nestjs/common';
import type { Processor } from '../engine/worker/worker.js';

/**
 * Wraps the function that runs a `@Processor` class's jobs before its worker gets it: override
 * `decorate` (with `overrideProvider` in tests, or by an instrumentation library) to run code
 * around every job. As it is, the function is used unchanged (nothing is added per job).
 */
@Injectable()
export class ProcessorDecoratorService {
  decorate(processor: Processor<unknown, unknown>): Processor<unknown, unknown> {
    return processor;
  }
}
