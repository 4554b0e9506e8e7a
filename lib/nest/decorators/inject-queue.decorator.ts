import { Inject } from '@nestjs/common';
import { getQueueToken } from '../queue.tokens.js';

/** Injects the Queue registered with `QueueModule.registerQueue({ name })`. */
export const InjectQueue = (name: string): ParameterDecorator & PropertyDecorator => Inject(getQueueToken(name));
